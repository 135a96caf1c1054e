"""The order API's bodies as JSON Schema, for the OpenAPI document only: the API judges a body with
the order-file rule set (tasks/api_orders), not with these models, so that every reason is reported
in the order-file rejection report's words."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Chain = Literal["seven", "lawson", "famima", "ministop", "daily", "seicomart"]


class OrderIn(BaseModel):
    """An order: the ORDERS columns (orders-and-master.md) but `payment_reference`, which we issue."""

    merchant_id: str | None = Field(None, description="M + 6 digits; optional, must be the key's merchant",
                                    examples=["M000001"])
    site_id: str = Field(description="S + 6 digits, an active site of the merchant", examples=["S000001"])
    order_id: str = Field(description="1 to 32 of A-Z a-z 0-9 - _, unique per merchant", examples=["A-1001"])
    chain: Chain | None = Field(None, description="omit to let the customer choose on the payment page")
    amount: int = Field(description="yen, 1 to 300,000", examples=[3980])
    tax_mode: Literal["taxable", "non_taxable"]
    tax_amount: int = Field(description="tax included in amount; 0 when non_taxable", examples=[361])
    ordered_at: str = Field(description="ISO 8601 with offset", examples=["2026-11-26T10:15:00+09:00"])
    due_date: str = Field(description="YYYY-MM-DD, 0 to 60 days after the JST order date (famima 1 to 60)",
                          examples=["2026-12-03"])
    customer_name_kana: str = Field(description="full-width katakana, up to 40", examples=["ヤマダ　タロウ"])
    customer_phone: str = Field(description="10 or 11 digits", examples=["0312345678"])
    customer_email: str = Field("", description="an e-mail address or empty")


class OrderOut(BaseModel):
    merchant_id: str
    site_id: str | None = None
    order_id: str
    chain: Chain | None
    payment_reference: str | None = Field(description="issued by us once the chain is known")
    amount: int
    tax_mode: str | None = None
    tax_amount: int | None = None
    ordered_at: str | None = None
    due_date: str
    status: str = Field(description="awaiting_chain, registered (not merged into the ledger yet), "
                                    "or v_order_status: awaiting_payment, paid, confirmed, settled, "
                                    "cancelled, expired")
    payment_url: str | None = Field(description="the customer's payment page (決済選択画面)")

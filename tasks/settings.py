"""One settings object for the whole service.

Values come from `KONBINI_*` environment variables, then an optional TOML file
(`KONBINI_CONFIG`, default `./konbini.toml` when it exists), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class PayoutAccount(BaseModel):
    """Our own account, the remitter (振込依頼人) of every Zengin payout file."""

    remitter_code: str = "1234567890"  # 振込依頼人コード, 10 digits, given by our bank
    remitter_name: str = "ｺﾝﾋﾞﾆｼﾕｳﾉｳﾀﾞｲｺｳ(ｶ"  # half-width kana, up to 40
    bank_code: str = "0001"
    branch_code: str = "100"
    account_type: str = "1"  # 1 普通, 2 当座
    account_number: str = "1111111"


class Remitters(BaseModel):
    """The remitter names (振込依頼人名, half-width kana, compared after trimming spaces) by which each
    source's remittances are recognised in the bank's 振込入金通知 (treasury.md)."""

    sej: str = "ｾﾌﾞﾝｲﾚﾌﾞﾝｼﾞﾔﾊﾟﾝ"
    fm: str = "ﾌｱﾐﾘ-ﾏ-ﾄ"
    cvs: str = "ｺﾝﾋﾞﾆｴﾝｽｽﾄｱｹﾂｻｲ"

    def by_source(self) -> dict[str, str]:
        """{source: remitter name}, sources as the feeds name them (SEJ, FM, CVS)."""
        return {"SEJ": self.sej.strip(), "FM": self.fm.strip(), "CVS": self.cvs.strip()}


class Smtp(BaseModel):
    """Mail relay for merchant reports; without a host, reports are only written to disk."""

    host: str | None = None
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = "reports@konbini.example"
    timeout_s: float = 30  # per SMTP command; no answer to the message's DATA -> `unknown`, not resent
    connections: int = 4  # deliveries sent at once (one SMTP session each)
    # a login without STARTTLS sends the password in clear: only with this set (a relay on a trusted link)
    allow_plaintext_auth: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KONBINI_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("data")
    inbox: str | None = None  # local folder or fsspec URL; default <data>/inbox
    inbox_options: dict = Field(default_factory=dict)  # fsspec storage options (e.g. SFTP client_keys)
    warehouse: Path | None = None  # default <data>/warehouse.duckdb

    sej_company_code: str = "912345"  # 収納企業コード at SEJ
    fm_company_code: str = "54321"  # 企業コード at FamilyMart
    gs1_company_code: str = "912345"  # 請求書発行企業コード in GS1-128 barcodes

    payout_account: PayoutAccount = Field(default_factory=PayoutAccount)  # also the BANK_IN files' account
    remitters: Remitters = Field(default_factory=Remitters)  # chains' remitter names (KONBINI_REMITTERS__SEJ)
    invoice_registration_number: str = "T1234567890123"  # 適格請求書発行事業者登録番号
    company_name: str = "コンビニ収納代行株式会社"

    smtp: Smtp = Field(default_factory=Smtp)
    notify_allow_loopback: bool = False  # only tests set this: http://127.0.0.1 targets

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("KONBINI_CONFIG", "konbini.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @property
    def inbox_url(self) -> str:
        return self.inbox or str(self.data_dir / "inbox")

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse or self.data_dir / "warehouse.duckdb"

    @property
    def analytics_path(self) -> Path:
        """Read-only copy for analysts, replaced atomically after each writing flow."""
        return self.warehouse_path.with_name("analytics.duckdb")

    @property
    def out_dir(self) -> Path:
        return self.data_dir / "out"


def get_settings() -> Settings:
    """Read the settings afresh (environment changes in tests take effect)."""
    return Settings()

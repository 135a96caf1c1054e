"""One settings object for the whole service.

Values come from `KONBINI_*` environment variables, then an optional TOML file
(`KONBINI_CONFIG`, default `./konbini.toml` when it exists), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tasks.digits import ascii_digits
from tasks.errors import KonbiniError

# Zengin fields of our account (checked when the settings load: a wrong one would otherwise surface
# as a bank's rejection of a payout file, or as every BANK_IN file quarantined for "not our account")
ASCII_DIGITS = {n: f"^[0-9]{{{n}}}$" for n in (3, 4, 7, 10)}  # [0-9]: not str.isdigit (１, ²)
# Our company codes, as the chains' files and the barcode hold them (feeds.md): a wrong one would
# quarantine every file of the chain ("not ours") or print barcodes no till accepts.
COMPANY_CODE_DIGITS = {"sej_company_code": 6, "fm_company_code": 5, "gs1_company_code": 6}


class PayoutAccount(BaseModel):
    """Our own account, the remitter (振込依頼人) of every Zengin payout file."""

    remitter_code: str = Field("1234567890", pattern=ASCII_DIGITS[10])  # 振込依頼人コード, from our bank
    remitter_name: str = "ｺﾝﾋﾞﾆｼﾕｳﾉｳﾀﾞｲｺｳ(ｶ"  # half-width kana (Zengin set), up to 40
    bank_code: str = Field("0001", pattern=ASCII_DIGITS[4])
    branch_code: str = Field("100", pattern=ASCII_DIGITS[3])
    account_type: Literal["1", "2"] = "1"  # 1 普通, 2 当座 (orders-and-master.md, account_type)
    account_number: str = Field("1111111", pattern=ASCII_DIGITS[7])

    @field_validator("remitter_name")
    @classmethod
    def _zengin_name(cls, name: str) -> str:
        """The name as the file holds it: 1 to 40 characters of the Zengin set, already half-width."""
        from tasks.kana import ALLOWED

        bad = next((c for c in name if c not in ALLOWED), None)
        if bad is not None:
            raise ValueError(f"character {bad!r} is not half-width kana or another character of the "
                             "Zengin set (0-9 A-Z ｱ-ﾝ ﾞ ﾟ ｰ space ( ) - . /)")
        if not 1 <= len(name) <= 40:
            raise ValueError(f"must be 1 to 40 characters, not {len(name)}")
        return name


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


class SettingsError(KonbiniError):
    """A setting that cannot be used: one line naming the field, where it came from, and why."""


def _toml_file() -> Path:
    return Path(os.environ.get("KONBINI_CONFIG", "konbini.toml"))


def _source(loc: tuple, given: dict) -> str:
    """Where the value at `loc` came from, in the order the sources are read."""
    if loc and loc[0] in given:
        return "given to Settings()"
    env = {k.upper() for k in os.environ}
    for n in range(len(loc), 0, -1):  # KONBINI_PAYOUT_ACCOUNT__BANK_CODE, or a JSON KONBINI_PAYOUT_ACCOUNT
        name = "KONBINI_" + "__".join(str(p) for p in loc[:n]).upper()
        if name in env:
            return f"environment variable {name}"
    return f"{_toml_file()}" if _toml_file().is_file() else "settings"


def _reason(e: dict) -> str:
    if e["type"] == "string_pattern_mismatch":  # the patterns of ASCII_DIGITS: ^[0-9]{n}$
        return f"must be {e['ctx']['pattern'].removeprefix('^[0-9]{').removesuffix('}$')} ASCII digits (0-9)"
    return e["msg"].removeprefix("Value error, ")


def describe(error: ValidationError, given: dict) -> str:
    """Every wrong setting in one line: `field 'value' (where): why; …`."""
    return "; ".join(f"setting {'.'.join(str(p) for p in e['loc'])} {e['input']!r}"
                     f" ({_source(e['loc'], given)}): {_reason(e)}" for e in error.errors())


class Settings(BaseSettings):
    # frozen: get_settings() hands the same object to every caller until the sources change
    model_config = SettingsConfigDict(env_prefix="KONBINI_", env_nested_delimiter="__", extra="ignore",
                                      frozen=True)

    def __init__(self, **values) -> None:
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise SettingsError(describe(e, values)) from None

    data_dir: Path = Path("data")
    inbox: str | None = None  # local folder or fsspec URL; default <data>/inbox
    inbox_options: dict = Field(default_factory=dict)  # fsspec storage options (e.g. SFTP client_keys)
    warehouse: Path | None = None  # default <data>/warehouse.duckdb

    sej_company_code: str = "912345"  # 収納企業コード at SEJ
    fm_company_code: str = "54321"  # 企業コード at FamilyMart
    gs1_company_code: str = "912345"  # 請求書発行企業コード in GS1-128 barcodes

    @field_validator(*COMPANY_CODE_DIGITS)
    @classmethod
    def _company_code(cls, code: str, info: ValidationInfo) -> str:
        n = COMPANY_CODE_DIGITS[info.field_name]
        if len(code) != n or not ascii_digits(code):
            raise ValueError(f"must be {n} ASCII digits (0-9)")
        return code

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
        toml_file = _toml_file()
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
    """The settings as the environment and the TOML file give them now: read afresh whenever either
    changed since the last call (environment changes in tests take effect), else the same object
    (building one costs ~1 ms, and flows and sessions ask for it hundreds of times in a replay).
    Nothing may modify the object returned."""
    global _last
    source = _source_state()
    if _last is None or _last[0] != source:
        _last = (source, Settings())
    return _last[1]


_last: tuple[tuple, Settings] | None = None


def _source_state() -> tuple:
    """What the settings are read from: the KONBINI_* variables (any case, as pydantic-settings
    matches them), the working folder (a relative TOML path) and the TOML file's identity and times."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k[:8].upper() == "KONBINI_"))
    try:
        st = _toml_file().stat()
        toml = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        toml = None
    return env, os.getcwd(), toml

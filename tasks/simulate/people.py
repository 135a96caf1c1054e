"""Fake but well-formed names, phones and addresses (all addresses under reserved example domains)."""

from __future__ import annotations

import random

# (family name in katakana, romaji), (given name in katakana, romaji): common Japanese names.
FAMILY = (
    ("ヤマダ", "yamada"), ("サトウ", "sato"), ("スズキ", "suzuki"), ("タカハシ", "takahashi"),
    ("タナカ", "tanaka"), ("ワタナベ", "watanabe"), ("イトウ", "ito"), ("ナカムラ", "nakamura"),
    ("コバヤシ", "kobayashi"), ("カトウ", "kato"), ("ヨシダ", "yoshida"), ("ヤマモト", "yamamoto"),
    ("サイトウ", "saito"), ("マツモト", "matsumoto"), ("イノウエ", "inoue"), ("キムラ", "kimura"),
    ("ハヤシ", "hayashi"), ("シミズ", "shimizu"), ("ヤマグチ", "yamaguchi"), ("モリ", "mori"),
)
GIVEN = (
    ("タロウ", "taro"), ("ハナコ", "hanako"), ("ユウキ", "yuki"), ("サクラ", "sakura"),
    ("ハルト", "haruto"), ("ユイ", "yui"), ("ソウタ", "sota"), ("メイ", "mei"), ("リク", "riku"),
    ("アオイ", "aoi"), ("ケンタ", "kenta"), ("ミサキ", "misaki"), ("ショウ", "sho"), ("ヒナ", "hina"),
    ("ダイキ", "daiki"), ("ナナミ", "nanami"), ("コウジ", "koji"), ("エミ", "emi"),
)
MAIL_DOMAINS = ("example.jp", "example.com", "example.ne.jp", "example.org")

# Merchant legal names: entity type (name, the bank's abbreviation in kana), a word, a trade.
ENTITIES = (
    ("株式会社", "カ)"), ("有限会社", "ユ)"), ("合同会社", "ド)"),
    ("一般社団法人", "シヤ)"), ("学校法人", "ガク)"),
)
WORDS = (
    ("さくら", "サクラ", "sakura"), ("みどり", "ミドリ", "midori"), ("あおぞら", "アオゾラ", "aozora"),
    ("ひかり", "ヒカリ", "hikari"), ("やまと", "ヤマト", "yamato"), ("ふじ", "フジ", "fuji"),
    ("こだま", "コダマ", "kodama"), ("つばさ", "ツバサ", "tsubasa"), ("はるか", "ハルカ", "haruka"),
    ("すばる", "スバル", "subaru"), ("かえで", "カエデ", "kaede"), ("いろは", "イロハ", "iroha"),
)
TRADES = (
    ("商店", "シヨウテン", "shop"), ("書房", "シヨボウ", "books"), ("ストア", "ストア", "store"),
    ("物産", "ブツサン", "bussan"), ("出版", "シユツパン", "pub"), ("工房", "コウボウ", "kobo"),
    ("ネット", "ネツト", "net"), ("学園", "ガクエン", "gakuen"),
)


def merchant_name(i: int) -> tuple[str, str, str]:
    """The i-th merchant's (legal name, bank-account kana in full width, web slug); distinct for i < 480.

    Word and trade both change from one merchant to the next ((word, trade) repeats only every 96);
    mostly 株式会社, every third 有限会社, and the entity type shifts with each repetition.
    """
    word, word_kana, slug = WORDS[i % len(WORDS)]
    trade, trade_kana, trade_slug = TRADES[(i // len(WORDS) + i) % len(TRADES)]
    block = i // (len(WORDS) * len(TRADES))
    entity, abbrev = ENTITIES[(block + (1 if i % 3 == 2 else 0)) % len(ENTITIES)]
    return f"{entity}{word}{trade}", f"{abbrev}{word_kana}{trade_kana}", f"{slug}-{trade_slug}{i + 1}"


def customer(rng: random.Random, n: int) -> tuple[str, str, str]:
    """(name in full-width katakana, phone, e-mail or '') of a customer; n makes the address unique."""
    r = rng.random  # int(r() * n) rather than randrange(n): a million draws, three times faster
    fam, fam_r = FAMILY[int(r() * len(FAMILY))]
    giv, giv_r = GIVEN[int(r() * len(GIVEN))]
    if r() < 0.8:  # mobile
        phone = ("090", "080", "070")[int(r() * 3)] + f"{int(r() * 10**8):08d}"
    else:  # landline, 10 digits
        phone = ("03", "06", "052", "011")[int(r() * 4)]
        phone += f"{int(r() * 10 ** (10 - len(phone))):0{10 - len(phone)}d}"
    email = ""
    if r() < 0.75:
        email = f"{giv_r}.{fam_r}{n}@{MAIL_DOMAINS[int(r() * len(MAIL_DOMAINS))]}"
    return f"{fam}\u3000{giv}", phone, email

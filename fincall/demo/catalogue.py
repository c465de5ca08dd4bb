"""The demo tenant's fixed reference data: products, agents, names and conversation snippets."""

from __future__ import annotations

from decimal import Decimal

PRODUCTS = [
    # code, name, name_zh, type, risk level, currency, unit price
    ("DEP01", "12-Month Time Deposit", "12个月定期存款", "deposit", 1, "CNY", Decimal("1")),
    ("DEP02", "HKD Savings Plus", "港元儲蓄增值", "deposit", 1, "HKD", Decimal("1")),
    ("FND01", "Global Bond Fund", "环球债券基金", "fund", 2, "USD", Decimal("10.4210")),
    ("FND02", "Asia Balanced Fund", "亞洲平衡基金", "fund", 3, "HKD", Decimal("15.2300")),
    ("FND03", "China Tech Equity Fund", "中国科技股票基金", "fund", 4, "CNY", Decimal("2.3150")),
    (
        "FND04",
        "Emerging Markets Leveraged Fund",
        "新兴市场杠杆基金",
        "fund",
        5,
        "USD",
        Decimal("7.8800"),
    ),
    (
        "WLT01",
        "Steady Income Wealth Plan",
        "稳健收益理财计划",
        "wealth",
        2,
        "CNY",
        Decimal("1.0312"),
    ),
    (
        "INS01",
        "Investment-Linked Assurance Plan",
        "投資相連壽險計劃",
        "insurance",
        3,
        "HKD",
        Decimal("12.0500"),
    ),
    ("LON01", "Personal Instalment Loan", "个人分期贷款", "loan", 1, "CNY", Decimal("1")),
    ("INS02", "Card Instalment Plan", "信用卡分期计划", "installment", 1, "HKD", Decimal("1")),
    ("CRD01", "Platinum Credit Card", "白金信用卡", "credit_card", 1, "USD", Decimal("1")),
]

# region -> (languages by weight, timezones, currency)
REGIONS = {
    "CN": ((("zh-CN", 10),), ("Asia/Shanghai",), "CNY"),
    "HK": ((("zh-HK", 8), ("en", 3)), ("Asia/Hong_Kong",), "HKD"),
    "SG": ((("en", 6), ("zh-CN", 3)), ("Asia/Singapore",), "SGD"),
    "UK": ((("en", 10),), ("Europe/London",), "GBP"),
    "US": ((("en", 10),), ("America/New_York", "America/Chicago", "America/Los_Angeles"), "USD"),
}
REGION_COUNTS = {"CN": 14, "HK": 12, "SG": 8, "UK": 8, "US": 8}
PHONE_REGION = {"CN": "CN", "HK": "HK", "SG": "SG", "UK": "GB", "US": "US"}

SURNAMES_ZH = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
]
GIVEN_ZH = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
]
SURNAMES_HK = ["陳", "李", "張", "黃", "何", "林", "梁", "羅", "鄭", "謝"]
GIVEN_HK = ["大文", "家明", "嘉欣", "志強", "詠詩", "俊傑", "美玲", "子軒", "凱琳", "浩然"]
FIRST_EN = [
    "Oliver",
    "Amelia",
    "James",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Ethan",
    "Mia",
    "Lucas",
    "Grace",
    "Arjun",
    "Priya",
    "Wei Ling",
    "Marcus",
    "Hannah",
    "Daniel",
    "Chloe",
]
LAST_EN = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Tan",
    "Lim",
    "Ng",
    "Patel",
    "Garcia",
    "Miller",
    "Evans",
    "Wong",
    "Clarke",
]

# name, region, timezone, languages, skills (name: level 1..5), senior
AGENTS = [
    (
        "Zhang Min",
        "CN",
        "Asia/Shanghai",
        ["zh-CN"],
        {"cards": 4, "loans": 3, "complaints": 3},
        False,
    ),
    ("Li Na", "CN", "Asia/Shanghai", ["zh-CN", "en"], {"funds": 5, "wealth": 4, "fx": 3}, True),
    ("Wang Lei", "CN", "Asia/Shanghai", ["zh-CN"], {"loans": 4, "cards": 3}, False),
    (
        "Chan Ka Yan",
        "HK",
        "Asia/Hong_Kong",
        ["zh-HK", "en"],
        {"cards": 4, "fx": 4, "complaints": 4},
        False,
    ),
    (
        "Wong Chi Keung",
        "HK",
        "Asia/Hong_Kong",
        ["zh-HK", "zh-CN", "en"],
        {"funds": 5, "insurance": 4, "wealth": 5},
        True,
    ),
    ("Ho Mei Ling", "HK", "Asia/Hong_Kong", ["zh-HK", "en"], {"loans": 3, "cards": 3}, False),
    (
        "Nur Aisyah",
        "SG",
        "Asia/Singapore",
        ["en", "zh-CN"],
        {"islamic_finance": 5, "funds": 3, "fx": 3},
        False,
    ),
    (
        "Tan Wei Ming",
        "SG",
        "Asia/Singapore",
        ["en", "zh-CN"],
        {"fx": 5, "wealth": 4, "complaints": 3},
        True,
    ),
    (
        "Emily Clarke",
        "UK",
        "Europe/London",
        ["en"],
        {"funds": 4, "complaints": 5, "cards": 3},
        False,
    ),
    (
        "Rahul Mehta",
        "UK",
        "Europe/London",
        ["en"],
        {"fx": 4, "loans": 4, "islamic_finance": 3},
        True,
    ),
    ("Sarah Miller", "US", "America/New_York", ["en"], {"cards": 5, "loans": 3}, False),
    (
        "Carlos Rivera",
        "US",
        "America/Chicago",
        ["en"],
        {"wealth": 4, "funds": 4, "complaints": 3},
        False,
    ),
]

DISPOSITIONS = [
    "resolved",
    "info_given",
    "callback_scheduled",
    "escalated",
    "sale",
    "complaint_logged",
]

CONVERSATIONS = {
    "zh-CN": [
        [
            ("customer", "你好，我的信用卡好像被盗刷了。"),
            ("agent", "您好，我先帮您核实一下身份，请问您的出生日期是？"),
            ("customer", "1985年3月2日。"),
            ("agent", "核实通过，我已经帮您冻结了尾号8812的卡片。"),
        ],
        [
            ("customer", "我想了解一下稳健一点的理财产品。"),
            ("agent", "我们有一款稳健收益理财计划，风险等级R2。"),
            ("agent", "理财非存款，产品有风险，投资须谨慎，过往业绩不代表未来表现。"),
            ("customer", "好的，我考虑一下。"),
        ],
        [
            ("customer", "分期还款每个月要还多少？"),
            ("agent", "每月还款约875元，年化利率是7.2%。"),
            ("customer", "明白了，谢谢。"),
        ],
    ],
    "zh-HK": [
        [
            ("customer", "你好，我想問下張卡點樣報失？"),
            ("agent", "你好，我幫你核實一下身份先。"),
            ("customer", "好，我個生日係1990年8月12號。"),
            ("agent", "已經幫你凍結咗張卡，新卡會喺五個工作天內寄出。"),
        ],
        [
            ("customer", "亞洲平衡基金最近表現點樣？"),
            ("agent", "呢隻基金風險等級係R3，投資涉及風險，價格可升可跌。"),
            ("customer", "我考慮下先，唔該。"),
        ],
    ],
    "en": [
        [
            ("customer", "Hi, I'd like to check the status of a transfer I made yesterday."),
            ("agent", "Sure, can I first verify your identity? What's your date of birth?"),
            ("customer", "12 July 1979."),
            ("agent", "Thanks, verified. The transfer was completed this morning."),
        ],
        [
            ("customer", "What's the FX rate for USD to HKD today?"),
            ("agent", "Today's rate is 7.81 for amounts up to 50,000."),
            ("customer", "Great, thanks."),
        ],
        [
            ("customer", "Can you tell me about the Global Bond Fund?"),
            (
                "agent",
                "It's rated R2. Please note the value of investments can go down as well as up.",
            ),
            ("customer", "Okay, send me the factsheet please."),
        ],
        [
            ("customer", "I'm really unhappy, I was charged a late fee twice."),
            ("agent", "I'm sorry about that. I'll log a complaint and refund the duplicate fee."),
            ("customer", "Thank you."),
        ],
    ],
}

# id, name, priority, (sl fraction, seconds), skills, language, overflow rules, vip, offer timeout
QUEUES = [
    ("vip", "Private & HNW clients", 10, (0.98, 15), {}, None, [], True, 20),
    (
        "complaints",
        "Complaints",
        5,
        (0.9, 30),
        {"complaints": 3},
        None,
        [{"after_seconds": 90, "action": "widen_skill", "skill": "complaints", "min_level": 1}],
        False,
        20,
    ),
    (
        "wealth",
        "Funds & wealth",
        3,
        (0.8, 30),
        {"funds": 3},
        None,
        [{"after_seconds": 60, "action": "widen_skill", "skill": "funds", "min_level": 1}],
        False,
        20,
    ),
    (
        "cards",
        "Cards",
        2,
        (0.8, 20),
        {"cards": 2},
        None,
        [{"after_seconds": 60, "action": "drop_skill", "skill": "cards"}],
        False,
        20,
    ),
    (
        "general-en",
        "General (English)",
        0,
        (0.8, 20),
        {},
        "en",
        [{"after_seconds": 180, "action": "offer_callback"}],
        False,
        20,
    ),
    (
        "general-zh-CN",
        "General (普通话)",
        0,
        (0.8, 20),
        {},
        "zh-CN",
        [{"after_seconds": 180, "action": "offer_callback"}],
        False,
        20,
    ),
    (
        "general-zh-HK",
        "General (粵語)",
        0,
        (0.8, 20),
        {},
        "zh-HK",
        [{"after_seconds": 180, "action": "offer_callback"}],
        False,
        20,
    ),
    ("email-en", "Email (English)", 0, (0.8, 14400), {}, "en", [], False, 120),
    ("email-zh", "Email (中文)", 0, (0.8, 14400), {}, None, [], False, 120),
    ("messages", "Messaging apps", 0, (0.8, 300), {}, None, [], False, 60),
]

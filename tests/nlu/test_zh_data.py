"""Checks for the Chinese intent training and test data shipped in fincall/nlu/data."""

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "fincall" / "nlu" / "data"
TRAIN = DATA_DIR / "intents_zh_train.jsonl"
TEST = DATA_DIR / "intents_zh_test.jsonl"
CATEGORIES = DATA_DIR / "categories.json"

MIN_TRAIN = 14
MIN_TEST = 5
MIN_HANT_TRAIN = 3
MIN_HANT_TEST = 1

# Characters whose Simplified and Traditional forms differ, restricted to unambiguous ones
# (a character that is valid in both scripts, such as 后/里/台/干/着/晒, is in neither set).
SIMPLIFIED_ONLY = frozenset(
    "㖞万与专业东丢两个丰临为书买乱亏亚产亲从们优会传体债倾儿兑关内册写农决况冻净凭则"
    "刚删别办务动势区华协单卖却厅参双发变号吗听启员咨啰喽国圆场坏块声壳处备复够头妈学"
    "宝实审对导将尝尴尽属岁岛币帮广应废开异张弯弹当录彻怀态总惊户执扰抢护报担拟拣拦拨"
    "择挂挥损换据揾揿数无旧时昼显暂机权条来极构柜标样楼欢欧汇沟没泄测满灵点烦状现电监"
    "盖盗码确礼离积税稳笔签简类粮紧约级纪纸线组细织绍经绑结给绝统继续维编网罚职联脱脸"
    "节苹荐获营虚蚀补装见规视觉触计订认让讯记讲许设证评识诈诉试话询该误说请读谁谂调谈"
    "谢谱财责败账货质购贴贵贷费资赶踪车转载较辑输边达过运还这进远违连迟适选逊递遗遥邮"
    "释钞钟钮钱铁铢银铺链销锁错镑镜长门闩闪闭问闲间闷闸阅阵际险隐韩页项顺须预领频题额"
    "风马驳驾验骗骤齐龄龙"
)
TRADITIONAL_ONLY = frozenset(
    "丟並亂亞佔來係個們備傳債傾價優兌兒內兩冊凍別刪則剛劃動務勢匯區協卻參員問啓啟喎單"
    "嗎嘍嘗囉國圓執報場塊壞夠媽學實審寫寶將專對導尷屬島幣幫幹幾廢廣廳張彈彎後從復徹悶"
    "態憑應懷戶掛採揀換揮損搵搶撥撳擇擔據擬擾攔敗數時晝暫書會東條業極構樓標樣機櫃權歐"
    "歡歲殼決沒沖況洩淨測準溝滙滿為無煩營爲狀獲現產異當發盜盡監確碼禮稅種積穩筆節簡簽"
    "籤糧紀約紙級細紹組結絕給統綁經維網緊線編總織繼續罰聯聲職聽脫臉臨與舊舖華萬蓋薦蘋"
    "處虛號虧蝕衝補裝製複見規視親覺觸訂計訊記設許訴註詐評詢試話該認誤說誰調談請諗諮講"
    "謝證識譜護讀變讓豐財貨責貴買貸費貼資賣質賬購趕蹤車較載輯輸轉辦農這連週進遊運過達"
    "違遙遜遞遠適遲選遺還邊郵釋鈔鈕銀銖銷錄錢錯錶鍾鎊鎖鏈鏡鐘鐵長門閂閃閉開閒間閘閱關"
    "陣際險隱隻雙離電靈韓頁項順須預領頭頻題額類顯風餘馬駁駕騙驗驚驟體麼點齊齡龍"
)

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


SHARED_BANKING77 = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "banking77" / "categories.json"
)
CONTACT_CENTER = (
    "speak_to_agent",
    "complaint",
    "greeting",
    "goodbye",
    "fx_rate_inquiry",
    "fund_recommendation",
    "loan_inquiry",
    "investment_risk_question",
)


def _categories() -> dict[str, list[str]]:
    """Load the label set from the repository copy, else from the shared Banking77 data."""
    if CATEGORIES.exists():
        return json.loads(CATEGORIES.read_text(encoding="utf-8"))
    if not SHARED_BANKING77.exists():
        pytest.skip("no categories.json in the repository and no shared Banking77 data")
    banking77 = json.loads(SHARED_BANKING77.read_text(encoding="utf-8"))
    return {"banking77": banking77, "contact_center": list(CONTACT_CENTER)}


def _labels() -> set[str]:
    """Return the 85 intent labels."""
    cats = _categories()
    return set(cats["banking77"]) | set(cats["contact_center"])


def _rows(path: Path) -> list[dict]:
    """Parse a JSONL file, failing with the line number on a bad line."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{n}: blank line"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
            pytest.fail(f"{path.name}:{n}: invalid JSON: {exc}")
        assert set(row) == {"text", "intent", "script"}, f"{path.name}:{n}: keys {set(row)}"
        rows.append(row)
    return rows


def _norm(text: str) -> str:
    """Normalise for duplicate detection: NFKC, lower case, no spaces or punctuation."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


@pytest.fixture(scope="module")
def train() -> list[dict]:
    return _rows(TRAIN)


@pytest.fixture(scope="module")
def test_rows() -> list[dict]:
    return _rows(TEST)


def test_character_tables_are_disjoint():
    assert not SIMPLIFIED_ONLY & TRADITIONAL_ONLY
    assert "后" not in SIMPLIFIED_ONLY and "後" in TRADITIONAL_ONLY


def test_categories_file_has_85_labels():
    cats = _categories()
    assert tuple(cats["contact_center"]) == CONTACT_CENTER
    assert len(cats["banking77"]) == 77
    assert len(cats["contact_center"]) == 8
    assert len(_labels()) == 85


@pytest.mark.parametrize("name", ["train", "test_rows"])
def test_rows_are_well_formed(name, request):
    labels = _labels()
    for row in request.getfixturevalue(name):
        assert row["intent"] in labels, row
        assert row["script"] in {"hans", "hant"}, row
        assert isinstance(row["text"], str) and row["text"] == row["text"].strip(), row
        assert 0 < len(row["text"]) <= 200, row
        assert re.search(r"[\u4e00-\u9fff]", row["text"]), row


@pytest.mark.parametrize(
    ("name", "minimum", "min_hant"),
    [("train", MIN_TRAIN, MIN_HANT_TRAIN), ("test_rows", MIN_TEST, MIN_HANT_TEST)],
)
def test_every_label_has_minimum_counts(name, minimum, min_hant, request):
    rows = request.getfixturevalue(name)
    total = Counter(r["intent"] for r in rows)
    hant = Counter(r["intent"] for r in rows if r["script"] == "hant")
    thin = {lab: total[lab] for lab in _labels() if total[lab] < minimum}
    assert not thin, f"labels below {minimum}: {thin}"
    thin_hant = {lab: hant[lab] for lab in _labels() if hant[lab] < min_hant}
    assert not thin_hant, f"labels below {min_hant} hant lines: {thin_hant}"


@pytest.mark.parametrize("name", ["train", "test_rows"])
def test_no_duplicates_within_file(name, request):
    counts = Counter(_norm(r["text"]) for r in request.getfixturevalue(name))
    dups = [t for t, c in counts.items() if c > 1]
    assert not dups, f"duplicate texts: {dups}"


def test_no_text_shared_between_train_and_test(train, test_rows):
    shared = {_norm(r["text"]) for r in train} & {_norm(r["text"]) for r in test_rows}
    assert not shared, f"texts in both splits: {sorted(shared)}"


@pytest.mark.parametrize("name", ["train", "test_rows"])
def test_script_field_matches_characters(name, request):
    rows = request.getfixturevalue(name)
    for row in rows:
        chars = set(row["text"])
        if row["script"] == "hans":
            assert not chars & TRADITIONAL_ONLY, (row, chars & TRADITIONAL_ONLY)
        else:
            assert not chars & SIMPLIFIED_ONLY, (row, chars & SIMPLIFIED_ONLY)
            if chars & (SIMPLIFIED_ONLY | TRADITIONAL_ONLY):
                assert chars & TRADITIONAL_ONLY, row
    hant = [r for r in rows if r["script"] == "hant"]
    marked = [r for r in hant if set(r["text"]) & TRADITIONAL_ONLY]
    assert len(marked) >= 0.85 * len(hant), "too many hant lines without Traditional characters"


@pytest.mark.parametrize("name", ["train", "test_rows"])
def test_both_scripts_present(name, request):
    scripts = Counter(r["script"] for r in request.getfixturevalue(name))
    assert scripts["hant"] >= 0.2 * sum(scripts.values())
    assert scripts["hans"] >= 0.5 * sum(scripts.values())


def test_repository_labels_match_banking77():
    if not (CATEGORIES.exists() and SHARED_BANKING77.exists()):
        pytest.skip("needs both the repository categories.json and the shared Banking77 data")
    shared = json.loads(SHARED_BANKING77.read_text(encoding="utf-8"))
    assert _categories()["banking77"] == shared

"""Text normalisation shared by rule packs and the engine: width, case, Traditional→Simplified."""

from __future__ import annotations

import unicodedata

# Traditional → Simplified for the characters that matter in financial conversations.
# (A compact table; characters identical in both scripts need no entry.)
_TRAD = (
    "們這個來說會對時過還進與開關門問題間點實現經濟發總務應當從動產業體種類數據統"
    "國際內論資銀貨錢幣賬帳戶號碼證護險額費貸款還換兌購買賣價單項標準確認識別驗碼"
    "碼絕對賺賠虧損風險穩障證擔餘額筆紀錄錄聽話電郵訊息們讓說請謝謝嗎呢啊麼甚麼"
    "您給個這樣麼樣們爲為後裡裏邊長時間機會發現覺得讀寫學習專業務員職責監管規則條"
    "義務權利財富產品種類選擇適當風險評級別級類型態預期報酬率利息收益穩健積極進取"
    "投訴舉報銀保監會證監會憤氣滾蠢笨煩閉嘴傻瓜廢物聾啞錯誤負責處理結果問題據"
    "張網絡終結束繼續續約簽訂協議條款細節頁顯示屏幕輸入碼號碼卡號碼驗證碼密碼"
    "現金轉賬匯款結餘記錄紀錄歷史過期凍結掛失補辦開通啟用停用註銷"
    "萬億元圓塊錢幾兩雙單層區縣鄉鎮廣東灣臺澳門島嶼歐亞洲華滬粵閩贛蘇浙"
    "龍鳳鳥魚馬車軌輪軟輕載較輸邊遠連運過選遲還達遺遷鄧鄰鄭鐵銷鎖長門閃閒間關閱"
    "隊陽陰陳陸隨險雖雜雞離難雲電霧靈靜頁頂項順須領頭頻題額顏願類顧顯風飛飯飲館驚"
    "體髮鬥鬧鬱鷹麥黃點黨齊齒龜憑據擔擁擇擊擋擾攜攝敗敵斂斷時晝暢曉曆書會朧東條來"
    "極構槍樂樓標樣橋機檢櫃歡歲歷歸殘殺殼氣漢濕滿準溝滅漲潤澤濃灑災為煙熱爭爺牆"
    "狀獨獲獵現環產畫異當療癢發盡監盤睜礎確礙禮禍離種稱穩窮竊競筆節範築簡糧紅約級"
    "紀純紙紛素細終組結絕給統絲經綠網緊線編緣練縮總績織繳繼續纏罰罷羅義習聖聞聯聲"
    "職肅脅腦腫臉舊艙艱藝節莊華萬葉蘭處號虛蟲蠶衛衝補裝製複覆見規視覽親覺觀觸計訂"
    "訊討訓記訪設許診證評詞試詩話詳誠誤說誰課調談請論諮謀謂講謝證識譜警譯議護讀變"
    "讓讚豐貝負財貢貧貨販貫責貴貶買貸費貼貿賀資賓賜賞賠賣質賬賴贈贊贏趙趕跡踐蹤躍"
    "車軍軒輔輛輝輩輯輸轄轉辦辭農邏郵鄉醫釋釣鈔鈴鉛銀銅銘鋪鋼錄錢錦錯鍵鍋鍾鎖鏈鏡"
    "鐘鑑長門閉開閏閑間閘閣閥閩闊闖關闡陣陝陞陣陰隱隸雙雛雜雞離難電須頒頓預頑頗領"
    "頸頻顆顏願顛類顯飄飽餅養餐餘館首馬駐駕駛騎騙騰驅驗驟髒鬆魚鮮鳥鳴鴻鵝鷹鹽麗麵"
    "黃點齡齣嚇嚮嚴囑團園圍圖執堅報場塊塗塵壓壞壟壯壽夢夠夥夾奪奮婦媽嬰學孫寧寬"
    "寶實審寫將專尋對導層屆屬岡崗嶺巖幣幫廁廂廚廟廠廢廣廳彈彙彥徑從徵復憂態慘慣慮"
    "慶憲應懇懶懷懸戀戰戲戶拋挾捨掃掄掙揚換揮損搖搶摯撈撐撥撫據擬擴擺擾攏攔攤攪"
    "啟喪喚單嗎嘆嘗嘩嘯嚕噴嚥嚨嚷囉"
)
_SIMP = (
    "们这个来说会对时过还进与开关门问题间点实现经济发总务应当从动产业体种类数据统"
    "国际内论资银货钱币账帐户号码证护险额费贷款还换兑购买卖价单项标准确认识别验码"
    "码绝对赚赔亏损风险稳障证担余额笔纪录录听话电邮讯息们让说请谢谢吗呢啊么甚么"
    "您给个这样么样们为为后里里边长时间机会发现觉得读写学习专业务员职责监管规则条"
    "义务权利财富产品种类选择适当风险评级别级类型态预期报酬率利息收益稳健积极进取"
    "投诉举报银保监会证监会愤气滚蠢笨烦闭嘴傻瓜废物聋哑错误负责处理结果问题据"
    "张网络终结束继续续约签订协议条款细节页显示屏幕输入码号码卡号码验证码密码"
    "现金转账汇款结余记录纪录历史过期冻结挂失补办开通启用停用注销"
    "万亿元圆块钱几两双单层区县乡镇广东湾台澳门岛屿欧亚洲华沪粤闽赣苏浙"
    "龙凤鸟鱼马车轨轮软轻载较输边远连运过选迟还达遗迁邓邻郑铁销锁长门闪闲间关阅"
    "队阳阴陈陆随险虽杂鸡离难云电雾灵静页顶项顺须领头频题额颜愿类顾显风飞饭饮馆惊"
    "体发斗闹郁鹰麦黄点党齐齿龟凭据担拥择击挡扰携摄败敌敛断时昼畅晓历书会胧东条来"
    "极构枪乐楼标样桥机检柜欢岁历归残杀壳气汉湿满准沟灭涨润泽浓洒灾为烟热争爷墙"
    "状独获猎现环产画异当疗痒发尽监盘睁础确碍礼祸离种称稳穷窃竞笔节范筑简粮红约级"
    "纪纯纸纷素细终组结绝给统丝经绿网紧线编缘练缩总绩织缴继续缠罚罢罗义习圣闻联声"
    "职肃胁脑肿脸旧舱艰艺节庄华万叶兰处号虚虫蚕卫冲补装制复复见规视览亲觉观触计订"
    "讯讨训记访设许诊证评词试诗话详诚误说谁课调谈请论咨谋谓讲谢证识谱警译议护读变"
    "让赞丰贝负财贡贫货贩贯责贵贬买贷费贴贸贺资宾赐赏赔卖质账赖赠赞赢赵赶迹践踪跃"
    "车军轩辅辆辉辈辑输辖转办辞农逻邮乡医释钓钞铃铅银铜铭铺钢录钱锦错键锅钟锁链镜"
    "钟鉴长门闭开闰闲间闸阁阀闽阔闯关阐阵陕升阵阴隐隶双雏杂鸡离难电须颁顿预顽颇领"
    "颈频颗颜愿颠类显飘饱饼养餐余馆首马驻驾驶骑骗腾驱验骤脏松鱼鲜鸟鸣鸿鹅鹰盐丽面"
    "黄点龄出吓向严嘱团园围图执坚报场块涂尘压坏垄壮寿梦够伙夹夺奋妇妈婴学孙宁宽"
    "宝实审写将专寻对导层届属冈岗岭岩币帮厕厢厨庙厂废广厅弹汇彦径从征复忧态惨惯虑"
    "庆宪应恳懒怀悬恋战戏户抛挟舍扫抡挣扬换挥损摇抢挚捞撑拨抚据拟扩摆扰拢拦摊搅"
    "启丧唤单吗叹尝哗啸噜喷咽咙嚷啰"
)
assert len(_TRAD) == len(_SIMP), (len(_TRAD), len(_SIMP))  # noqa: S101

_T2S = {ord(t): s for t, s in zip(_TRAD, _SIMP, strict=True) if t != s}
_PUNCT = {
    ord("\u2019"): "'",
    ord("\u2018"): "'",
    ord("\u201c"): '"',
    ord("\u201d"): '"',
    ord("\u3000"): " ",
}
_FULLWIDTH = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_TABLE = {**_T2S, **_PUNCT, **_FULLWIDTH}


def normalize(text: str) -> str:
    """Normalise for matching: full-width folding, lower case, Traditional→Simplified.

    Every mapping is one character to one character, so offsets into the result are
    offsets into the original text (evidence spans point at what was said).
    """
    if text.isascii():
        return text.lower()
    out = text.translate(_TABLE).lower()
    return out if len(out) == len(text) else text.translate(_TABLE)


def nfkc(text: str) -> str:
    """Full Unicode compatibility normalisation (for callers that need it)."""
    return unicodedata.normalize("NFKC", text)


def to_simplified(text: str) -> str:
    """Convert Traditional characters to Simplified (only the table's characters)."""
    return text.translate(_T2S)


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph."""
    return "\u4e00" <= ch <= "\u9fff"

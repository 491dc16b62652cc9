"""Built-in rubrics written from the training manuals; every item and blocker cites its source.

Section titles from manual 001 are quoted exactly as they appear in that file (Traditional
characters), so a citation can be checked by searching the file.
"""

from __future__ import annotations

from types import MappingProxyType

from scoring.rubric import Blocker, Item, Rubric
from scoring.text import TIME_PATTERN

M000 = "000_af49cf313c5ded47.txt"
M001 = "001_a8786d0e8591f2d3.txt"
M002 = "002_0eb62db7ee6f7331.txt"
M003 = "003_155df04f83bb14c9.txt"


def _src(file: str, section: str) -> MappingProxyType[str, str]:
    return MappingProxyType({"file": file, "section": section})


TIME = "re:" + TIME_PATTERN

_FOLLOW_UP_KEYWORDS = (
    "回访",
    "跟进",
    "跟踪",
    "re:(给|向)您(反馈|回电|回复|答复|回个?电话|打电话)",
    "re:(再|会|第一时间)(联系|通知|告诉|答复|告知)您",
    "re:(处理|修|解决|弄)(完|好)(了)?(后|以后|之后)?.{0,8}(回访|联系|告诉|通知|看看|确认)",
    "re:结果.{0,6}(告诉|通知|反馈|答复|告知)",
    "re:(随时|及时)(告诉|通知|告知|反馈给?)您",
    "re:(有|一有)(进展|消息|结果).{0,6}(告诉|通知|联系|告知)",
)

# ---------------------------------------------------------------- complaint (L-U-A-S-F)
COMPLAINT_ITEMS = (
    Item(
        id="apologize",
        label="向业主致歉",
        weight=2,
        skill="apology",
        keywords=("抱歉", "对不起", "不好意思", "致歉", "道歉", "歉意", "re:给您(添|带来)了?(麻烦|不便)", "请您原谅"),
        exemplars=("给您带来的不便我们深表歉意", "实在对不起,让您受累了"),
        source=_src(M001, "3.2.3道歉與承諾(A-Apologize&Assure)"),
    ),
    Item(
        id="empathize",
        label="表达理解和共情",
        weight=2,
        skill="empathy",
        keywords=(
            "re:(理解|体谅|明白|体会)(您|你)",
            "re:(完全|非常|很|十分|特别)(能)?(理解|体谅|体会)",
            "re:换(做|成|了)?(是)?我(也)?(会|一样)",
            "re:(能|可以)?体会(到)?",
            "您的心情",
            "re:(确实|的确|真的)(是)?(很|太|挺)?(着急|闹心|糟心|难受|影响|不方便|烦)",
            "re:让您(受累|操心|着急|担心|费心|受委屈|跑了?(好)?几趟)",
            "辛苦您",
        ),
        exemplars=("我完全理解您现在的心情", "换作是我也会很着急", "这件事确实给您的生活造成了很大影响"),
        source=_src(M001, "1.2.2真誠共情的溝通心態"),
    ),
    Item(
        id="listen",
        label="耐心倾听并记录",
        weight=1,
        skill="listening",
        keywords=(
            "re:您(慢慢|先|详细)(说|讲)",
            "re:请(您)?(慢慢|详细)?(讲|说)",
            "我在听",
            "re:(我|已经|都)(都|已)?(记|登记|记录)(下来|好|了|下)",
            "re:(详细|具体)(情况|说说|讲讲|讲一下|说一下|是)",
        ),
        exemplars=("您慢慢说,我都记下来", "请您把具体情况跟我讲一下"),
        source=_src(M003, "投诉处理流程"),
    ),
    Item(
        id="restate",
        label="复述确认问题",
        weight=1,
        skill="restating",
        keywords=(
            "re:您(刚才)?(是)?(说|反映|提到)的是",
            "您的意思是",
            "re:(跟您|和您|再|先)(确认|核实|复述)一下",
            "也就是说",
            "re:(对吗|是吗|对吧|是这样吗|没错吧|对不对)",
            "re:我(理解|了解)的是",
        ),
        exemplars=("我跟您确认一下,您反映的是卫生间天花板又漏水了,对吗",),
        source=_src(M001, "3.2.2確認與澄清(U-Understand)"),
    ),
    Item(
        id="solve",
        label="提出具体的解决办法并马上行动",
        weight=3,
        skill="problem_solving",
        keywords=(
            "re:(安排|派|通知|联系|协调|叫|约|带)(了)?(维修|工程|师傅|人员|同事|保洁|保安|电工|水电工|专人|相关部门|"
            "施工方|楼上|开发商|装修|秩序|管家|绿化|客服|人|部长|项目经理|经理)",
            "re:(上门|现场|上楼|到场|过去)(查看|处理|维修|检查|排查|勘查|核实|劝导|制止|取证)",
            "re:(查明|找到|排查|查清|检查|核实)(一下)?.{0,6}(漏点|原因|问题|情况|管道)",
            "re:(帮您|为您|给您)(处理|解决|修|维修|更换|清理|协调|调解|安排|理赔|报保险)",
            "re:(处理|解决|维修|整改|赔偿)方案",
            "re:(先|马上|立即)(清理|处理|封堵|止水|修复|更换|修)",
        ),
        exemplars=(
            "我马上安排维修师傅上门查看漏水原因",
            "我们会协调楼上业主一起排查漏点",
            "我现在就通知工程部来处理",
        ),
        source=_src(M001, "3.2.4解決與行動(S-Solve&Act)"),
    ),
    Item(
        id="commit_time",
        label="告知处理时限",
        weight=3,
        skill="time_commitment",
        keywords=(TIME,),
        source=_src(M001, "3.2.3道歉與承諾(A-Apologize&Assure)"),
    ),
    Item(
        id="follow_up",
        label="承诺跟进和回访",
        weight=2,
        skill="follow_up",
        keywords=_FOLLOW_UP_KEYWORDS,
        exemplars=("处理完以后我会给您回访", "有进展我第一时间告诉您"),
        source=_src(M001, "3.2.5跟進與回訪(F-Follow-up)"),
    ),
)

# ---------------------------------------------------------------- emergency
EMERGENCY_ITEMS = (
    Item(
        id="calm",
        label="安抚情绪,让对方冷静",
        weight=2,
        skill="calming",
        keywords=(
            "re:(别|不要|不用|先别)(太)?(慌|急|着急|担心|害怕|紧张)",
            "re:(保持|先|请)冷静",
            "放心",
            "有我们在",
            "深呼吸",
            "镇定",
        ),
        exemplars=("您先别慌,我们马上处理", "请您保持冷静,听我说"),
        source=_src(M001, "1.2.2真誠共情的溝通心態"),
    ),
    Item(
        id="safety",
        label="给出安全指引",
        weight=3,
        skill="safety",
        keywords=(
            "re:(关闭|关掉|关上|关好|拉下|拉掉|断开|切断)(一下)?(家里|家中|室内)?的?(总)?(阀门|水阀|总阀|闸|电闸|"
            "电源|燃气|煤气|气阀|角阀|水)",
            "re:(不要|别|勿|切勿|请勿|千万别|不能|严禁|禁止)(再|随便|随意|擅自|私自|轻易|自己|急着|着急|去)?(乘坐?|坐|"
            "使用|用|开|打开|靠近|触碰|碰|点|扒|撬|掰|强行|动|摸|按|拨|爬|钻|跳|下车|下去|进去|涉水|抬|拖|搬)",
            "re:(离开|远离|撤离|疏散|躲开|避开|绕行|绕道|调头|掉头|退到|移到|转移)",
            "re:湿(毛巾|布)",
            "re:捂(住)?口鼻",
            "re:(走|从)(楼梯|安全通道|消防通道|安全出口|步梯)",
            "re:(待在|留在|呆在)(原地|轿厢|车里|车内|安全)",
            "re:(按|按下)(警铃|紧急呼叫|呼叫按钮|对讲)",
            "re:(开窗|打开窗户|开门)(通风)?",
            "注意安全",
            "re:(拉|围|设置|放)(好)?(警戒|警示|隔离)",
        ),
        exemplars=(
            "请您先关闭家里的总水阀",
            "请不要乘坐电梯,从楼梯撤离",
            "请待在轿厢里不要扒门",
            "请您先离开房间到安全的地方",
        ),
        source=_src(M002, "物业提升服务质量培训记录"),
    ),
    Item(
        id="report",
        label="上报主管或相关单位",
        weight=2,
        skill="escalation",
        keywords=(
            "上报",
            "re:(报告|汇报|通知|告知|报给)(了)?(主管|经理|领导|值班|中控|消防|部长|项目|公司|上级|物业经理|客服中心)",
            "报警",
            "re:(拨打|打|联系|通知)(了)?(119|110|120|96333|电梯公司|维保|供电|自来水|燃气|消防)",
        ),
        exemplars=("我已经上报给项目经理", "我们已经通知电梯维保单位"),
        source=_src(M003, "投诉处理流程"),
    ),
    Item(
        id="dispatch",
        label="派人到场,并告知预计到达时间或自己的回电时间",
        weight=3,
        skill="dispatch",
        keywords=(
            "re:(安排|派|叫|通知|调)(了)?([^,。!?]{0,4}?)(维修|工程|师傅|人员|保安|安全员|电工|水电工|维保|同事|秩序|专人|"
            "管家|救援|人|绿化|保洁)",
            "re:(师傅|人员|保安|安全员|同事|工程部|维保|电工|救援|绿化|保洁|秩序)[^,。!?]{0,10}?(赶到|到场|上门|赶过来|"
            "过来|赶来|在路上|就到|内到|到现场|过去|赶往|前往|出发|动身)",
            "re:(我们|我)(已经|马上|立即|正在|会)(赶|过|到|来|上门|在路上|前往|出发|动身)",
            "re:(马上|立即|立刻|正在)(过去|过来|到场|上门|赶到|赶过来|赶往|前往|出发|动身)",
            "re:(派|安排|调|叫)[^,。!?]{1,8}?(过去|过来|上门|到场|到现场|赶到|赶往|前往)",
        ),
        # 001 3.2.3 asks only for 「大致的處理時限」: an estimate (预计……左右) or the speaker's own
        # call-back time meets the item; another team's arrival is never stated as a guarantee.
        exemplars=("我已经安排工程师傅赶过去,预计十分钟左右到", "维保人员正在赶来,十分钟后我回电告诉您到哪了"),
        requires=(TIME,),
        source=_src(M002, "管家岗位职责"),
    ),
    Item(
        id="stay_contact",
        label="保持联系,告知联系方式",
        weight=2,
        skill="contact",
        keywords=(
            "re:保持(电话|通话|手机|联系)",
            "re:(不要|别|先别)挂(断|掉)?",
            "re:(我|我们)(会)?(一直)?(在|陪着|陪)(线上|这|您|电话)",
            "在线上",
            "re:(随时|有事|有情况|有变化|有什么情况).{0,6}(联系|打|找|告诉|呼叫)",
            "re:(我的|管家|值班)(电话|手机|分机|号码)",
            "re:(留|登记|记下)(一下)?(您的)?(电话|联系方式|号码)",
        ),
        exemplars=("请保持电话畅通,我随时跟您联系", "我一直在线上陪着您"),
        source=_src(M001, "3.2.4解決與行動(S-Solve&Act)"),
    ),
    Item(
        id="follow_up",
        label="事后跟进和回访",
        weight=1,
        skill="follow_up",
        keywords=(*_FOLLOW_UP_KEYWORDS, "re:(查明|调查)(事故)?原因"),
        exemplars=("事后我们会查明原因并回访您",),
        source=_src(M002, "管家岗位职责"),
    ),
)

# ---------------------------------------------------------------- inquiry (phone rules)
INQUIRY_ITEMS = (
    Item(
        id="greet_org",
        label="问候并报出单位名称",
        weight=2,
        skill="courtesy",
        keywords=("re:(您好|你好|早上好|上午好|下午好|晚上好)", "re:(这里是|我是|这是)"),
        exemplars=("您好,物业客服中心,很高兴为您服务",),
        requires=("re:(物业|客服|管理处|服务中心|前台|管家|客户服务|公司)",),
        source=_src(M001, "2.3.1接聽與呼出"),
    ),
    Item(
        id="answer",
        label="准确答复所问的问题",
        weight=4,
        skill="accuracy",
        from_reference=True,
        source=_src(M000, "接待客户咨询"),
    ),
    Item(
        id="confirm_needs",
        label="确认是否还有其他需要",
        weight=2,
        skill="courtesy",
        keywords=(
            "re:还有(什么|其他|别的|其它)(需要|问题|事情|可以|要|疑问|不清楚|地方)",
            "re:(还|另外)(有)?(什么|哪些)?(需要|可以)(我)?(帮|为)您",
            "re:(清楚|明白)了吗",
        ),
        exemplars=("请问还有其他需要帮您的吗",),
        source=_src(M001, "2.3.2通話過程"),
    ),
    Item(
        id="close_polite",
        label="礼貌道别",
        weight=1,
        skill="courtesy",
        keywords=(
            "再见",
            "re:(感谢|谢谢)(您的)?(来电|咨询|支持|理解|配合|耐心)",
            "祝您",
            "re:(欢迎|随时)(再)?(来电|咨询|联系)",
        ),
        exemplars=("感谢您的来电,祝您生活愉快,再见",),
        source=_src(M001, "3.1.4感謝與引導"),
    ),
)

# ---------------------------------------------------------------- blockers
# "Soft" refusal patterns only block when the reply offers no concrete action (see engine), so
# "无法当场解决,我先安排师傅……" (allowed by 001 3.2.4) is not punished.
SHIRK_HARD = (
    "re:不(归|属于)(我们|物业|我|咱们|这边)",
    "re:(这|那)?(不是|不关)(我们|物业|我|咱们)的?(事|责任|问题|范围|管)",
    "re:(我们|物业|我|这边)(也)?(管不了|管不着|无能为力|不管|不负责|帮不了)",
    "re:(您|你)(还是|最好|可以|得|要|就)?(自己|自行)?(去)?(找|问)(开发商|居委会|街道|派出所|施工方|施工单位|他们|"
    "别人|其他人|其他部门|相关部门|12345|楼上|保险公司|装修公司|物业公司)",
    "re:(您|你)(还是|最好|得|要|就)?(自己|自行)(去)?(找|联系|解决|处理|想办法|报修|打电话|弄|修)",
    "re:(等着吧|等等吧|再说吧|过(几|两)天再说|以后再说|明天再说|再等等吧|我也没办法)",
)
SHIRK_SOFT = (
    "re:(到|来|修|处理|解决|安排|过来|上门|上|办|弄|派|查|赶|清理|排查|办理|管|帮|去|过去|给|联系|找)不(了|过来|到)",
    "re:(没法|没办法|无法|不能|不会|不可能)(给您|帮您|为您)?(马上|今天)?(安排|处理|解决|派|上门|过来|修|办理|帮|答复|查|过去|到)",
    # 没有人 is a refusal when it means "no staff"; not in the question 有没有人(员受伤) nor "没有人受伤".
    "re:(都不在|(?<!有)(没有人|没人(在|管|手)?)(?!员?(受伤|伤亡|被困|困住))|下班了|(都|已经|早就?)(休息|放假)了|"
    "排不上|排满|忙不过来)",
    # Not after 什么/哪里/有: "还有什么不清楚的吗" asks whether the resident has questions.
    "re:(我)?(也)?(?<![有么里哪方])(不知道|不清楚|不太清楚|不了解|不太了解)",
)

STANDARD_BLOCKERS = (
    Blocker(
        id="shirk",
        label="推诿/搪塞",
        reason="手册要求不推诿、不拖延,先受理,再协调资源解决。",
        cap=10,
        patterns=SHIRK_HARD,
        source=_src(M000, "失败案例分析"),
    ),
    Blocker(
        id="blame",
        label="指责业主",
        reason="手册要求不辩解,无论责任归属先致歉再解决。",
        cap=10,
        patterns=(
            "re:(是|都是|这是|还不是)(您|你)(们)?(自己)?(家)?的?(责任|错|问题|原因)",
            "re:(您|你)(们)?(自己)(家)?的?(责任|错|问题|造成|弄|搞|不小心|没|不)",
            "re:(怪|赖)(您|你)",
            "re:谁(让|叫)(您|你)",
            "re:(您|你)(们)?(早|本来)?(就)?(应该|该)(自己)?(早点|提前|注意|看好|关好|知道|先)",
            "re:(活该|自找的)",
            "re:(看好|管好)(自己|您|你)(家)?的?",
        ),
        negatable=True,
        source=_src(M001, "3.2.1傾聽與安撫(L-Listen)"),
    ),
    Blocker(
        id="threat",
        label="威胁业主",
        reason="威胁只会激化矛盾,手册要求避免激化或升级。",
        cap=5,
        patterns=(
            "re:(停|断|掐)(了)?(您|你)(们)?(家)?的?(水|电|气)",
            "re:(起诉|告|曝光)(您|你)",
            "re:(后果自负|走着瞧|看着办|等着瞧|有你好看|给你点颜色)",
            # "不客气" alone is "you're welcome"; only "就/别怪我们/对你 不客气" is a threat.
            "re:(就|别怪(我|我们)?|对(您|你)(们)?)不客气",
            "re:(拉黑|黑名单)",
            "re:(再|要是|如果)(闹|吵|投诉|骂).{0,8}(就|别怪)",
        ),
        negatable=True,
        source=_src(M003, "投诉处理流程"),
    ),
    Blocker(
        id="insult",
        label="辱骂/不耐烦",
        reason="言语不当、不耐烦,违反文明礼貌用语的要求。",
        cap=30,
        patterns=(
            "凭什么",
            "re:(别|不要)催",
            "re:催(什么|啥)",
            "re:(急|吵|嚷|喊|闹)(什么|啥)",
            "re:(烦不烦|烦死|有完没完|没完没了|真烦)",
            "re:(懂不懂|听不懂|听没听懂|听不明白)",
            "re:(有病|神经病|脑子)",
            "re:(少废话|闭嘴|别废话|废话)",
            "re:(?<!不)滚",
            "re:爱(找谁|投诉|告|打)",
            "re:随便(你|您)",
            "re:关我(什么|屁)事",
            "re:(事儿?(真)?多|真麻烦|麻烦死了)",
            "re:(怎么)?又是(你|您)",
            "re:说了(多少|几)遍",
        ),
        source=_src(M002, "言谈礼仪"),
    ),
    Blocker(
        id="unsafe",
        label="应急中的危险指引",
        reason="应急时给出了危险的指引,可能危及人身安全。",
        cap=5,
        patterns=(
            "re:(坐|乘|乘坐|搭|搭乘)电梯",
            "re:(扒|撬|掰|砸)(开)?(电梯|轿厢)?门",
            "re:(爬|钻)出(来|去|轿厢)",
            "re:(用|拿|泼|浇)水.{0,4}(灭|浇|泼).{0,4}(电|油)",
            "re:(收拾|拿|带上|取)(一下)?(贵重|值钱)?的?(东西|物品|财物|行李)",
            # Asking "人没事吧?" or relief "没事就好" is not downplaying the danger.
            "re:(没(什么|啥)?(大)?(事|危险|大碍)|不(要紧|碍事))(?!吧|吗|么|呢|就好|儿吧|儿就好|[??])",
            "re:不用(报警|打119|疏散|撤离|管它|理会|走)",
            "re:(自己|您先|您自己)(动手)?[^,。]{0,4}(修|拆|接|摸|碰)(一下)?[^,。]{0,4}(电线|电闸|线路|插座|燃气管|电)",
        ),
        span_patterns=("re:(燃气|煤气|天然气).{0,20}(开灯|开排气扇|开抽油烟机|打火|点火|开关电器)",),
        negatable=True,
        source=_src(M002, "物业提升服务质量培训记录"),
    ),
)

SOFT_SHIRK_CUES = SHIRK_SOFT
# Items whose keyword hit shows the reply offers concrete action (a soft refusal is then allowed).
# A reference match does not count here: refusals often reuse the reference's words.
ACTION_ITEMS = frozenset({"solve", "dispatch", "answer"})
# A promise to find out and call back by a stated time is action too (001 2.3.3 "留言/回電": take
# the message and call back), so "这个我需要核实一下,今天下午三点前给您回电" is not 推诿.
COMMITMENT_CUES = (
    "re:(" + TIME_PATTERN + r").{0,12}(回电|回复|答复|回话|回个?电话|打给您|告诉您|通知您|联系您|反馈给您|给您反馈)",
    "re:(核实|查询|查清|查一下|问一下|问清|了解一下|确认一下|咨询一下).{0,12}(" + TIME_PATTERN + ")",
)
# Blockers that do not fire inside a hypothetical clause ("万一查不到,我就安排师傅上门查看").
HYPOTHETICAL_EXEMPT = frozenset({"shirk"})
# Blockers that only apply to rubrics of these categories.
BLOCKER_CATEGORIES: dict[str, frozenset[str]] = {"unsafe": frozenset({"emergency"})}

RUBRICS: MappingProxyType[str, Rubric] = MappingProxyType(
    {
        "complaint": Rubric("complaint", COMPLAINT_ITEMS, STANDARD_BLOCKERS, category="complaint"),
        "emergency": Rubric("emergency", EMERGENCY_ITEMS, STANDARD_BLOCKERS, category="emergency"),
        "inquiry": Rubric("inquiry", INQUIRY_ITEMS, STANDARD_BLOCKERS, category="inquiry"),
    }
)

# Tone signals (001 2.2 "文明用語": 您好、請、謝謝、對不起、再見).
POLITE_CUES = ("您", "请", "抱歉", "对不起", "谢谢", "麻烦您", "不好意思", "劳驾", "感谢")
RUDE_CUES = (
    "凭什么",
    "别催",
    "催什么",
    "急什么",
    "吵什么",
    "烦不烦",
    "烦死",
    "随便你",
    "懂不懂",
    "废话",
    "有病",
    "爱找谁",
    "等着吧",
    "关我什么事",
)
TONE_SOURCE = _src(M002, "言谈礼仪")

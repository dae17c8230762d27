"""What the demo brand is made of, as data: its channels and what they cost, tag groups,
custom fields, the calendar of a Chinese coffee chain, and people's names.

Channels are contact-way ``state`` codes for now (stored on each relation's ``channel_state``);
the acquisition work adds a real channels table and can read :data:`CHANNELS` to fill it.
"""

from __future__ import annotations

from dataclasses import dataclass

from siyu.domain.fields import FieldKind


@dataclass(frozen=True, slots=True)
class DemoChannel:
    state: str  # the contact way's `state` (<= 30 chars), on staff_relations.channel_state
    name: str  # also the tag 来源渠道/<name>
    online: bool  # online codes rotate across guides; store codes belong to the customer's store
    cost_per_add: float  # CNY spent per customer added (ads, printing, coupons): for channel ROI
    weight: float  # share of adds on an ordinary day
    add_way: int  # WeCom's add_way: 1 scanned a QR code, 3 a shared contact card


CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel("ch-store-poster", "门店海报", False, 0.6, 26, 1),
    DemoChannel("ch-store-cashier", "收银台立牌", False, 0.3, 22, 1),
    DemoChannel("ch-douyin-live", "抖音直播", True, 18.0, 12, 1),
    DemoChannel("ch-tmall-card", "天猫包裹卡", True, 3.5, 9, 1),
    DemoChannel("ch-miniapp-order", "小程序下单页", True, 0.8, 10, 1),
    DemoChannel("ch-xhs-note", "小红书笔记", True, 12.0, 8, 1),
    DemoChannel("ch-moments-ad", "朋友圈广告", True, 26.0, 6, 1),
    DemoChannel("ch-referral", "老带新", False, 6.0, 7, 3),
)
CHANNEL_BY_STATE = {c.state: c for c in CHANNELS}

# Where a person first became known when it was not through a guide's contact way.
SOURCE_TAGS = {"mall": "商场会员", "miniapp": "小程序"}

SOURCE_GROUP = "来源渠道"
INTEREST_GROUP = "兴趣偏好"
LEVEL_GROUP = "会员等级"
INTERESTS: tuple[tuple[str, float], ...] = (
    ("拿铁", 30), ("咖啡豆", 18), ("美式", 16), ("手冲", 12), ("甜点", 12), ("冷萃", 8), ("轻食", 6),
)
LEVELS = ("普通会员", "银卡会员", "金卡会员", "黑金会员")
TAG_GROUPS: dict[str, tuple[str, ...]] = {
    SOURCE_GROUP: tuple(c.name for c in CHANNELS) + tuple(SOURCE_TAGS.values()),
    INTEREST_GROUP: tuple(name for name, _ in INTERESTS),
    LEVEL_GROUP: LEVELS,
}


@dataclass(frozen=True, slots=True)
class DemoField:
    key: str
    label: str
    kind: FieldKind
    options: tuple[str, ...] = ()


TASTES: tuple[tuple[str, float], ...] = (("平衡", 40), ("奶香", 28), ("偏酸", 18), ("偏苦", 14))
ALLERGENS: tuple[tuple[str, float], ...] = (("乳糖", 60), ("坚果", 20), ("麸质", 12), ("大豆", 8))
FIELDS: tuple[DemoField, ...] = (
    DemoField("taste", "口味偏好", FieldKind.SINGLE, tuple(name for name, _ in TASTES)),
    DemoField("birth_month", "生日月份", FieldKind.NUMBER),
    DemoField("allergens", "过敏原", FieldKind.MULTI, tuple(name for name, _ in ALLERGENS)),
)

# Cities with no store: people there find the brand online and are served by guides anywhere.
ONLINE_ONLY_CITIES = ("成都", "武汉", "苏州", "重庆", "西安", "长沙")

# The calendar (China Standard Time). Adds grow ~3x over the two years shown.
GROWTH_OVER_WINDOW = 3.0
WEEKDAY_WEIGHTS = (0.85, 0.85, 0.9, 0.95, 1.1, 1.4, 1.3)  # Monday first
HOUR_WEIGHTS = (  # a coffee day: the morning rush, lunch, the afternoon break, evening phones
    0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 1.2, 2.2, 2.0, 1.6, 1.5,
    1.9, 1.8, 1.5, 1.6, 1.5, 1.3, 1.2, 1.3, 1.5, 1.4, 0.9, 0.5,
)
# (month, first day, last day, factor, the online channels that run hot)
SEASONS: tuple[tuple[int, int, int, float, tuple[str, ...]], ...] = (
    (1, 20, 31, 0.7, ()),  # the weeks around the Spring Festival are quiet
    (2, 1, 15, 0.6, ()),
    (2, 14, 14, 1.5, ("ch-douyin-live",)),  # Valentine's Day
    (5, 20, 20, 1.5, ("ch-douyin-live", "ch-xhs-note")),  # 520
    (6, 1, 17, 1.4, ("ch-tmall-card", "ch-douyin-live")),  # 618
    (6, 18, 18, 2.6, ("ch-tmall-card", "ch-douyin-live")),
    (7, 1, 31, 1.15, ()),  # iced coffee season
    (8, 1, 31, 1.15, ()),
    (11, 1, 10, 1.6, ("ch-tmall-card", "ch-douyin-live")),  # Double 11
    (11, 11, 11, 3.0, ("ch-tmall-card", "ch-douyin-live")),
    (12, 12, 12, 1.5, ("ch-tmall-card",)),  # Double 12
    (12, 20, 25, 1.3, ("ch-moments-ad",)),  # Christmas
)
LIVE_STREAM_WEEKDAYS = (1, 3, 5)  # Douyin live rooms on Tuesday, Thursday, Saturday evenings

# Names: surnames roughly by frequency, given-name characters by the gender they lean to.
SURNAMES = (
    "王" * 9 + "李" * 9 + "张" * 8 + "刘" * 7 + "陈" * 6 + "杨" * 4 + "黄" * 3 + "赵" * 3 + "吴" * 3 + "周" * 3
    + "徐" * 2 + "孙" * 2 + "马" * 2 + "朱" * 2 + "胡" * 2 + "郭" * 2 + "何" * 2 + "林" * 2 + "罗" * 2 + "高" * 2
    + "郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_FEMALE = "芳娜敏静丽艳娟秀霞桂英玉萍红婷雪琳欣怡梓萱涵晴悦佳琪嘉颖思雨诗妍梦瑶馨月露薇蕾莉倩洁慧琴燕丹"
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩然子轩博文俊峰建国志成凯瑞泽睿晨阳毅锋"
NICKNAMES = (
    "小雨", "Amy", "Coffee控", "阿杰", "晴天", "木子", "Lily", "一只猫", "星辰", "拿铁不加糖", "Eric", "橙子",
    "Momo", "Kevin", "小鹿", "大白", "Vivian", "追光者", "Grace", "奶茶少女", "Leo", "清风", "不吃香菜", "Cathy",
    "阿May", "Tony", "豆豆", "Sunny", "早八人", "Jason", "糖糖", "Coco", "咖啡续命", "Ray", "小林同学", "Iris",
)

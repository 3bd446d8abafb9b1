//! The word lists extraction reads context with: event-kind cues, money
//! contexts and their blockers, count nouns, relevance anchors, industries.
//!
//! Each list is one aho-corasick automaton (leftmost-longest, so `目标企业`
//! beats `目标` and `项目投资` beats `投资`), built once in [`Lexicons::new`].

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::event::EventKind;

/// A word list whose entries carry a tag.
pub struct Lexicon<T: Copy> {
    ac: AhoCorasick,
    tags: Vec<T>,
}

impl<T: Copy> Lexicon<T> {
    pub fn new(entries: &[(&str, T)]) -> Result<Self, aho_corasick::BuildError> {
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(entries.iter().map(|(w, _)| *w))?;
        Ok(Lexicon { ac, tags: entries.iter().map(|(_, t)| *t).collect() })
    }

    /// Non-overlapping hits as (start, end, tag), byte offsets.
    pub fn find<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize, T)> + 'a {
        let tags = &self.tags;
        self.ac.find_iter(text).map(move |m| (m.start(), m.end(), tags[m.pattern().as_usize()]))
    }

    pub fn any(&self, text: &str) -> bool {
        self.ac.is_match(text)
    }
}

/// What a cue word says about the fact next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    Kind(EventKind),
    /// 在谈: attraction, still under negotiation.
    Negotiating,
    /// A word that contains a cue but is not one (`目标企业`, `落实到位`).
    Not,
}

const SIGNING: Cue = Cue::Kind(EventKind::Signing);
const TARGET: Cue = Cue::Kind(EventKind::Target);
const FUNDS: Cue = Cue::Kind(EventKind::FundsInPlace);
const START: Cue = Cue::Kind(EventKind::ConstructionStart);
const DONE: Cue = Cue::Kind(EventKind::Completion);
const ATTRACT: Cue = Cue::Kind(EventKind::Attraction);
const PROMO: Cue = Cue::Kind(EventKind::PromotionActivity);
const PROGRESS: Cue = Cue::Kind(EventKind::InvestmentProgress);

const CUES: &[(&str, Cue)] = &[
    ("签约", SIGNING),
    // 新签 (新签招商引资项目) is a signing even beside 投资额; 签约引进 signs
    ("新签", SIGNING),
    ("签约引进", SIGNING),
    ("签订", SIGNING),
    ("签下", SIGNING),
    ("签署", SIGNING),
    ("合同", SIGNING),
    ("协议", SIGNING),
    ("力争", TARGET),
    ("目标", TARGET),
    ("任务", TARGET),
    ("确保", TARGET),
    ("年度计划", TARGET),
    ("计划任务", TARGET),
    ("力求", TARGET),
    ("计划引进", TARGET),
    ("计划签约", TARGET),
    ("计划开工", TARGET),
    ("计划完成", TARGET),
    ("计划实现", TARGET),
    ("计划招引", TARGET),
    ("计划举办", TARGET),
    ("计划开展", TARGET),
    ("预计全年", TARGET),
    ("到位", FUNDS),
    ("到资", FUNDS),
    ("实际使用外资", FUNDS),
    ("实际利用外资", FUNDS),
    ("实际利用", FUNDS),
    ("实际使用", FUNDS),
    ("实到", FUNDS),
    ("到账", FUNDS),
    ("进资", FUNDS),
    ("开工", START),
    ("开复工", START),
    ("建成", DONE),
    ("投产", DONE),
    ("竣工", DONE),
    ("达产", DONE),
    ("招引", ATTRACT),
    ("引进", ATTRACT),
    ("落地", ATTRACT),
    ("落户", ATTRACT),
    ("入驻", ATTRACT),
    ("注册成立", ATTRACT),
    ("新设", ATTRACT),
    ("新增", ATTRACT),
    ("设立", ATTRACT),
    ("达成", ATTRACT),
    ("在谈", Cue::Negotiating),
    ("推介", PROMO),
    ("考察", PROMO),
    ("对接", PROMO),
    ("外出招商", PROMO),
    ("招商活动", PROMO),
    ("洽谈", PROMO),
    ("邀请", PROMO),
    ("参展", PROMO),
    ("拜访", PROMO),
    ("走访", PROMO),
    ("恳谈", PROMO),
    ("征集", PROMO),
    ("发布", PROMO),
    ("推出", PROMO),
    ("出席", PROMO),
    ("参会", PROMO),
    ("完成投资", PROGRESS),
    ("项目投资", PROGRESS),
    ("累计投资", PROGRESS),
    // look like cues, are not
    ("目标企业", Cue::Not),
    ("目标区域", Cue::Not),
    ("落实到位", Cue::Not),
    ("服务到位", Cue::Not),
    ("引进来", Cue::Not),
    ("项目投资额", Cue::Not),
    ("计划总投资", Cue::Not),
    ("计划投资", Cue::Not),
    ("项目投资总额", Cue::Not),
    ("引进资金", Cue::Not),
    // what a project will be once built, not a completion
    ("建成后", Cue::Not),
    ("投产后", Cue::Not),
    // contracted foreign capital is a statistic of whatever statement it
    // sits in (projects signed, or brought in), not a signing of its own
    ("合同外资", Cue::Not),
    ("合同利用外资", Cue::Not),
];

/// Words around an amount that make it investment money.
const MONEY_CONTEXT: &[&str] = &[
    "投资", "签约", "签订", "签下", "金额", "资金", "引资", "到资", "到位", "总额", "合同", "协议", "项目", "外资", "内资",
];

/// Words before an amount that make it some other money (prices, trade,
/// earnings, budgets, fixed-asset statistics, transfer fees).
const MONEY_BLOCKERS: &[&str] = &[
    "成交", "销售", "产值", "营收", "收入", "利润", "净利", "亏损", "税", "市值", "股价", "股本", "价格", "均价", "房价",
    "工资", "薪", "补贴", "奖励", "奖金", "罚", "捐", "生产总值", "GDP", "消费", "零售", "出口", "进口", "进出口",
    "贸易额", "交易额", "存款", "贷款", "保费", "票房", "营业额", "预算", "支出", "财政", "固定资产投资", "转会",
    "违约金", "身价", "年薪", "估值", "募资", "募集", "融资", "债", "租金", "造价", "工业投资", "民间投资",
    "基础设施投资", "房地产开发投资", "房地产投资", "技改投资", "制造业投资", "基建投资", "带动", "拉动", "奖补", "补助",
    "专项资金", "扶持资金", "引导资金", "注册资本", "资本金",
];

/// Nouns a 家/户/个 count of firms is about.
const FIRM_NOUNS: &[&str] = &["企业", "央企", "国企", "外企", "客商", "公司", "商家", "投资商", "500强"];

/// Nouns around 场/次/批次 that make it a promotion activity.
const ACTIVITY_NOUNS: &[&str] = &[
    "活动", "招商", "考察", "推介", "洽谈", "对接", "走访", "拜访", "展", "论坛", "路演", "接待", "客商", "拜会", "出访",
    "推介会", "洽谈会", "招商会", "恳谈会", "博览会", "交易会", "说明会", "对接会", "签约会", "投资会",
];

/// An article with none of these is not about investment promotion,
/// whatever its numbers (stock reports, house prices, sports contracts).
const ANCHORS: &[&str] = &[
    "招商", "引资", "招引", "投资促进", "到位资金", "集中签约", "集中开工", "签约项目", "项目签约", "合同项目", "签约仪式",
    "签约活动", "引进项目", "引进外资", "利用外资", "使用外资", "项目集中", "开工仪式", "开工活动", "投产仪式", "竣工投产",
    "双招双引", "推介会", "投资说明会",
];

/// Company names that contain 招商 (China Merchants): a stock report that
/// names them is not about investment promotion.
const NOT_ANCHORS: &[&str] = &["招商银行", "招商证券", "招商局", "招商基金", "招商蛇口", "招商轮船", "招商公路", "招商积余", "招商南油"];

/// Phrases that put a whole sentence in the future: a plan's content.
const PLAN_HEADS: &[&str] = &[
    "方案提出", "方案明确", "方案要求", "规划提出", "规划明确", "计划提出", "意见提出", "通知要求", "目标是", "要求到",
];

/// Growth words before a percentage: the percentages a fact's reader wants.
const GROWTH: &[&str] = &["增长", "增幅", "增速", "上升", "提高", "增加"];

/// Industry names for `subjects.industries`: sectors promotion news
/// names, longest first where one contains another (leftmost-longest).
pub const INDUSTRIES: &[&str] = &[
    "高端装备制造", "装备制造", "航天科技", "航空航天", "光电子", "新材料", "新能源", "新能源汽车", "汽车零部件", "生物医药",
    "医药", "电子信息", "新一代信息技术", "信息技术", "数字经济", "大数据", "云计算", "人工智能", "集成电路", "半导体",
    "光伏", "储能", "氢能", "风电", "现代农业", "农产品加工", "食品加工", "文化旅游", "文旅", "商贸物流", "现代物流",
    "物流", "精细化工", "化工", "大健康", "康养", "生态环保", "节能环保", "绿色环保", "纺织服装", "先进制造业",
    "现代服务业", "金融", "智能制造", "机械装备", "工程机械", "新型材料", "照明电气", "冶金", "有色金属", "稀土",
    "石油化工", "煤化工", "医疗器械", "智能家居", "跨境电商", "电子商务", "总部经济", "数据中心",
];

pub struct Lexicons {
    pub cues: Lexicon<Cue>,
    pub money_context: Lexicon<()>,
    pub money_blockers: Lexicon<()>,
    pub firm_nouns: Lexicon<()>,
    pub activity_nouns: Lexicon<()>,
    /// Tagged false: names that contain an anchor but are not about
    /// promotion (招商银行 in a market report).
    pub anchors: Lexicon<bool>,
    pub plan_heads: Lexicon<()>,
    pub growth: Lexicon<()>,
}

pub fn plain(words: &[&'static str]) -> Vec<(&'static str, ())> {
    words.iter().map(|w| (*w, ())).collect()
}

impl Lexicons {
    pub fn new() -> Result<Self, aho_corasick::BuildError> {
        Ok(Lexicons {
            cues: Lexicon::new(CUES)?,
            money_context: Lexicon::new(&plain(MONEY_CONTEXT))?,
            money_blockers: Lexicon::new(&plain(MONEY_BLOCKERS))?,
            firm_nouns: Lexicon::new(&plain(FIRM_NOUNS))?,
            activity_nouns: Lexicon::new(&plain(ACTIVITY_NOUNS))?,
            anchors: Lexicon::new(
                &ANCHORS.iter().map(|w| (*w, true)).chain(NOT_ANCHORS.iter().map(|w| (*w, false))).collect::<Vec<_>>(),
            )?,
            plan_heads: Lexicon::new(&plain(PLAN_HEADS))?,
            growth: Lexicon::new(&plain(GROWTH))?,
        })
    }
}


// Word lists the extraction steps read, kept here with the other lexicons.

/// Words before an amount that make it an upper bound of a category.
pub const UPPER_BOUNDS: [&str; 6] = ["不足", "不到", "低于", "少于", "未满", "未达"];

/// Nouns right after `个` that make it count something other than the
/// projects or firms named before it: `项目…4个月`, `增长2个百分点`.
pub const COUNTED_NOUNS: &[&str] = &[
    "月", "半月", "年", "季度", "星期", "周", "天", "日", "小时", "工作日", "百分点", "方面", "领域", "环节", "阶段", "批", "人",
    "乡", "镇", "村", "县", "区", "市", "省", "部门", "单位", "园区", "平台", "产业", "行业", "国家", "地区", "城市",
];

/// Deictic words for the article's own division (我市, 全省): a clause with
/// one of these is about the article's region, not about an earlier place.
pub const DEICTIC: &[&str] =
    &["全省", "我省", "本省", "全市", "我市", "本市", "全县", "我县", "本县", "全区", "我区", "本区", "全州", "我州", "全盟", "我盟", "全旗", "我旗", "经开区", "高新区", "市直"];

/// Names of national and international expos and fairs, and their
/// abbreviations (东博会, 兰洽会, 南博会, 厦洽会).
pub const EXPO_WORDS: &[&str] = &["博览会", "博会", "洽谈会", "洽会", "交易会", "交会", "投资贸易"];

/// Words that make the expo itself the subject of a statement.
/// (`在兰洽会上签约项目60个` is a city signing at the fair: not these.)
pub const FAIR_SUBJECTS: &[&str] = &["本届", "本次活动", "本次签约活动", "大会共", "组委会"];

/// Endings of a money band right before a count (`5亿元以上的有220项`).
pub const MONEY_BAND: &[&str] = &["元以上的有", "元以上有", "元以上的共有", "亿以上", "元以上", "元及以上", "元的有", "亿元以上的"];

/// Verbs of building that lead from an amount to what it builds.
pub const BUILD_VERBS: [&str; 6] = ["新建", "建设", "打造", "实施", "投建", "兴建"];

/// Endings of a facility's name, which names a project without 项目.
pub const FACILITY_ENDS: &[&str] =
    &["产业园", "园区", "园", "基地", "中心", "广场", "综合体", "小镇", "新城", "工程", "生产线", "零部件", "厂", "电站", "港"];

/// Generic heads that do not name a project (`签约项目`, `重点项目`).
pub const GENERIC_PROJECT_HEADS: &[&str] = &[
    "签约", "重点", "招商", "引资", "重大", "合作", "产业", "投资", "外资", "内资", "工业", "农业", "大", "新", "好", "续建", "新建",
    "在建", "意向", "储备", "优质", "高新", "这些", "该", "的", "类", "等", "个", "批", "合同", "攻坚",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_cue_wins() {
        let l = Lexicons::new().unwrap();
        let hits: Vec<Cue> = l.cues.find("对接目标企业，力争完成项目投资额，签约项目").map(|h| h.2).collect();
        assert_eq!(hits, [PROMO, Cue::Not, TARGET, Cue::Not, SIGNING]);
    }
}

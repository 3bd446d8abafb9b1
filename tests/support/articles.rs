//! Generated input streams: investment-promotion articles written for these
//! tests (templates in our own words, varied by city and figures), exact
//! reposts, and poison messages.

/// One message to send.
#[derive(Clone, Debug)]
pub struct Msg {
    pub key: Option<String>,
    pub payload: Vec<u8>,
}

const CITIES: [(&str, &str); 12] = [
    ("铜川市", "陕西省"), ("周口市", "河南省"), ("万州区", "重庆市"), ("徐州市", "江苏省"),
    ("赣州市", "江西省"), ("宜宾市", "四川省"), ("六安市", "安徽省"), ("柳州市", "广西壮族自治区"),
    ("天水市", "甘肃省"), ("绵阳市", "四川省"), ("襄阳市", "湖北省"), ("潍坊市", "山东省"),
];

const INDUSTRIES: [&str; 6] = ["新能源汽车", "生物医药", "高端装备制造", "电子信息", "新材料", "绿色食品"];

const FIRM_HEADS: [&str; 24] = [
    "华润", "中建", "比亚迪", "宁德", "隆基", "海尔", "格力", "美的", "三一", "徐工", "中联", "恒瑞",
    "京东方", "立讯", "歌尔", "天合", "通威", "正泰", "安踏", "伊利", "牧原", "新希望", "万华", "潍柴",
];
const FIRM_TAILS: [&str; 12] = [
    "新能源科技", "精密制造", "生物科技", "智能装备", "电子材料", "食品集团", "物流发展", "光电",
    "环保科技", "汽车零部件", "医疗器械", "数字产业",
];
const PRODUCTS: [&str; 20] = [
    "动力电池", "光伏组件", "锂电隔膜", "工业机器人", "精密模具", "冷链物流园", "预制菜加工", "半导体封测",
    "碳纤维复材", "医用耗材", "智能家电", "氢能储运", "风电叶片", "数据中心", "有机肥", "功能性薄膜",
    "液晶面板", "轨道交通装备", "中药饮片", "再生铝",
];
const VERBS: [&str; 6] = ["投资", "拟投资", "计划投资", "总投资", "追加投资", "协议投资"];
const BUILDS: [&str; 6] = ["建设", "新建", "扩建", "打造", "布局", "落地"];

/// One article for story `i`: a lead in one of six shapes (five about
/// investment promotion, one not) and a list of projects drawn at random,
/// so that distinct stories share little text and are not near-duplicates.
pub fn article(i: usize) -> (String, String) {
    let mut rng = fastrand::Rng::with_seed(i as u64 * 7919 + 13);
    let (city, province) = CITIES[i % CITIES.len()];
    let ind = INDUSTRIES[rng.usize(..INDUSTRIES.len())];
    let n = 20 + rng.usize(..97);
    let amt = 35 + rng.usize(..900);
    let frac = rng.usize(..100);
    let year = 2019 + rng.usize(..6);
    let items: Vec<String> = (0..rng.usize(7..11))
        .map(|_| {
            format!(
                "{}{}{}{}.{}亿元{}{}项目",
                FIRM_HEADS[rng.usize(..FIRM_HEADS.len())],
                FIRM_TAILS[rng.usize(..FIRM_TAILS.len())],
                VERBS[rng.usize(..VERBS.len())],
                1 + rng.usize(..80),
                rng.usize(..10),
                BUILDS[rng.usize(..BUILDS.len())],
                PRODUCTS[rng.usize(..PRODUCTS.len())],
            )
        })
        .collect();
    let list = items.join("，");
    match i % 6 {
        0 => (
            format!("{city}举行{year}年重大项目集中签约活动"),
            format!(
                "<html><body><div class=\"nav\">首页 | 政务公开</div><h1>{city}举行重大项目集中签约</h1>\
                 <p>{year}年，{province}{city}现场签约项目{n}个，总投资{amt}.{frac:02}亿元。</p><p>主要有：{list}。</p></body></html>"
            ),
        ),
        1 => (
            format!("{city}上半年招商引资综述"),
            format!("截至6月底，{city}新引进亿元以上{ind}项目{n}个，实际到位资金{amt}.{frac:02}亿元。新落地项目有{list}。"),
        ),
        2 => (
            format!("{city}{year}年招商引资目标"),
            format!("{year}年{city}力争招商引资到位资金{amt}亿元，新签约项目{n}个。储备项目包括{list}。"),
        ),
        3 => (
            format!("{city}赴长三角招商推介"),
            format!("{city}外出招商考察活动{n}批次，对接企业{c}户，洽谈项目有{list}。", c = 100 + rng.usize(..500)),
        ),
        4 => (
            format!("{city}{ind}产业园项目开工"),
            format!("{year}年9月，总投资{amt}亿元的{city}{ind}产业园项目开工，入园企业计划为{list}。"),
        ),
        _ => (
            format!("{city}天气与出行提示"),
            format!(
                "{city}气象台预报明天多云，最高气温{t}摄氏度。今日路况：{road}。",
                t = 18 + rng.usize(..15),
                road = (0..rng.usize(14..20))
                    .map(|_| format!("{}{}路{}{}公里", FIRM_HEADS[rng.usize(..FIRM_HEADS.len())], PRODUCTS[rng.usize(..PRODUCTS.len())], ["缓行", "畅通", "施工", "拥堵"][rng.usize(..4)], rng.usize(1..30)))
                    .collect::<Vec<_>>()
                    .join("，")
            ),
        ),
    }
}

pub fn envelope(id: &str, title: &str, content: &str, i: usize) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "url": format!("https://news.example.cn/zs/{id}.html"),
        "source": "测试新闻网",
        "title": title,
        "published_at": format!("2024-{:02}-{:02}T09:30:00+08:00", 1 + i % 12, 1 + i % 28),
        "content": content,
        "content_type": if content.starts_with('<') { "text/html" } else { "text/plain" },
    }))
    .expect("json")
}

/// What a poison message is meant to exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poison {
    Empty,
    EmptyContent,
    Garbage,
    Oversize,
    BadJson,
}

/// A stream of exactly `total` inputs: stories, exact reposts of earlier
/// stories (same key, so same partition, `repost_gap` messages later), and
/// a poison message every `poison_every`. `oversize_bytes` should exceed
/// `pipeline.max_input_bytes`.
pub fn stream(total: usize, repost_gap: usize, poison_every: usize, oversize_bytes: usize) -> Vec<(Msg, Option<Poison>)> {
    let kinds = [Poison::Empty, Poison::Garbage, Poison::BadJson, Poison::Oversize, Poison::EmptyContent];
    let mut rng = fastrand::Rng::with_seed(7);
    let mut out: Vec<(Msg, Option<Poison>)> = Vec::with_capacity(total);
    let mut story = 0usize;
    let mut poison = 0usize;
    while out.len() < total {
        let pos = out.len();
        if pos % poison_every == poison_every - 1 {
            let kind = kinds[poison % kinds.len()];
            let payload = match kind {
                Poison::Empty => Vec::new(),
                Poison::EmptyContent => format!(r#"{{"id":"empty-{poison}","title":"无正文","content":"   "}}"#).into_bytes(),
                Poison::Garbage => (0..4096).map(|j| if j % 3 == 0 { 0xFF } else { rng.u8(..) }).collect(),
                Poison::Oversize => {
                    let (_, body) = article(poison);
                    body.repeat(oversize_bytes / body.len() + 1).into_bytes()
                }
                Poison::BadJson => format!(r#"{{"id": "badjson-{poison}", "content": "今年签约项目12个"#).into_bytes(),
            };
            out.push((Msg { key: Some(format!("poison-{poison}")), payload }, Some(kind)));
            poison += 1;
        } else if story > repost_gap && pos % 17 == 5 {
            // an exact repost of a story `repost_gap` stories back, under a new id
            let orig = story - repost_gap;
            let (title, body) = article(orig);
            let payload = envelope(&format!("repost-{orig}-{pos}"), &title, &body, orig);
            out.push((Msg { key: Some(format!("story-{orig}")), payload }, None));
        } else {
            let (title, body) = article(story);
            out.push((Msg { key: Some(format!("story-{story}")), payload: envelope(&format!("a{story}"), &title, &body, story) }, None));
            story += 1;
        }
    }
    out
}

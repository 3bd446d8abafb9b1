//! Generated input streams: investment-promotion articles written for these
//! tests (templates in our own words, varied by city and figures), exact
//! reposts, and poison messages.

use super::Msg;

const CITIES: [(&str, &str); 12] = [
    ("铜川市", "陕西省"), ("周口市", "河南省"), ("万州区", "重庆市"), ("徐州市", "江苏省"),
    ("赣州市", "江西省"), ("宜宾市", "四川省"), ("六安市", "安徽省"), ("柳州市", "广西壮族自治区"),
    ("天水市", "甘肃省"), ("绵阳市", "四川省"), ("襄阳市", "湖北省"), ("潍坊市", "山东省"),
];

const INDUSTRIES: [&str; 6] = ["新能源汽车", "生物医药", "高端装备制造", "电子信息", "新材料", "绿色食品"];

/// One article body for story `i`; the figures make every story distinct.
pub fn article(i: usize) -> (String, String) {
    let (city, province) = CITIES[i % CITIES.len()];
    let ind = INDUSTRIES[i % INDUSTRIES.len()];
    let ind2 = INDUSTRIES[(i + 2) % INDUSTRIES.len()];
    let n = 20 + i % 97;
    let amt = 35 + (i * 7) % 900;
    let frac = i % 100;
    let year = 2019 + i % 6;
    match i % 6 {
        0 => (
            format!("{city}举行{year}年重大项目集中签约活动"),
            format!(
                "<html><body><div class=\"nav\">首页 | 政务公开 | 招商引资</div><h1>{city}举行{year}年重大项目集中签约活动</h1>\
                 <p>{year}年4月，{province}{city}举行重大项目集中签约仪式，现场签约项目{n}个，总投资{amt}.{frac:02}亿元，\
                 涵盖{ind}、{ind2}等重点产业。</p><p>其中，投资10亿元以上项目{m}个。市政府主要负责同志表示，\
                 将为签约企业提供全流程服务，推动项目早落地、早投产。</p><div class=\"related\">相关阅读：本市召开防汛工作会议</div></body></html>",
                m = 3 + i % 9
            ),
        ),
        1 => (
            format!("{city}上半年招商引资工作综述（第{i}期）"),
            format!(
                "今年以来，{city}坚持把招商引资作为经济工作的生命线。截至6月底，全市新引进亿元以上产业项目{n}个，\
                 实际到位资金{amt}.{frac:02}亿元，同比增长{pct}.{d}%。{ind}产业链招商取得突破，新落户规模以上企业{c}家。",
                pct = 5 + i % 30,
                d = i % 10,
                c = 10 + i % 40
            ),
        ),
        2 => (
            format!("{city}召开{year}年招商引资工作推进会"),
            format!(
                "会议明确，{year}年{city}力争全年招商引资到位资金{amt}亿元以上，新签约亿元以上项目{n}个，\
                 重点围绕{ind}和{ind2}开展精准招商。会上通报了上年度各县区目标任务完成情况（编号{i}）。"
            ),
        ),
        3 => (
            format!("{city}赴长三角开展招商推介活动"),
            format!(
                "{year}年以来，{city}主要领导带队外出招商考察活动{n}批次，对接目标企业{c}户，举办{ind}专题推介会{a}场，\
                 达成合作意向项目{k}个，意向投资额{amt}亿元。（记者 王{i}）",
                c = 100 + i % 500,
                a = 2 + i % 8,
                k = 5 + i % 20
            ),
        ),
        4 => (
            format!("总投资{amt}亿元的{ind}产业园项目在{city}开工"),
            format!(
                "{year}年9月，总投资{amt}亿元的{city}{ind}产业园项目正式开工建设。项目规划用地{n}00亩，建成后预计年产值{v}亿元，\
                 可新增就业岗位{j}个。该项目是今年{province}重点招商引资项目之一（批次{i}）。",
                v = amt * 2,
                j = 500 + i
            ),
        ),
        _ => (
            format!("{city}天气预报与出行提示（{i}）"),
            format!(
                "{city}气象台发布消息：明天白天多云转晴，最高气温{t}摄氏度，偏南风三到四级。市民出行请注意防晒补水，\
                 雨季来临前请检查家中排水设施。本期提示编号{i}，{n}个监测站数据正常。",
                t = 18 + i % 15
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

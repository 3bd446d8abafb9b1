//! Test support for the dedup tests: generated articles of one template
//! family (so they look alike on purpose) and store configurations.

#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use zhaoshang::config::{DedupBackend, DedupConfig, RedisFailurePolicy};
use zhaoshang::dedup::Clock;

const REGIONS: [&str; 24] = [
    "铜川市", "宝鸡市", "汉中市", "安康市", "商洛市", "延安市", "榆林市", "咸阳市", "渭南市", "天水市", "庆阳市", "平凉市",
    "遵义市", "六盘水市", "曲靖市", "玉溪市", "宜宾市", "泸州市", "南充市", "达州市", "赣州市", "吉安市", "上饶市", "九江市",
];
const INDUSTRIES: [&str; 12] = [
    "新能源汽车", "锂电池材料", "光伏组件", "生物医药", "电子信息", "高端装备制造", "绿色食品加工", "现代物流", "文旅康养",
    "新型建材", "数字经济", "精细化工",
];
const OPENINGS: [&str; 4] = [
    "{m}月{d}日，{r}在{p}举行{y}年{i}产业招商推介会，现场集中签约项目{n}个，协议总投资{a}亿元。",
    "{y}年{m}月{d}日，{r}{i}产业链招商对接会在{p}召开，共签约项目{n}个，总投资{a}亿元。",
    "记者从{r}投资促进局获悉，{m}月{d}日举行的{y}年第{q}季度重大项目集中签约活动中，{r}签约{i}等领域项目{n}个，计划总投资{a}亿元。",
    "{r}日前在{p}开展{i}专题招商活动，{y}年{m}月{d}日当天签约项目{n}个、涉及金额{a}亿元。",
];
const MIDDLES: [&str; 4] = [
    "其中，{i2}项目{n2}个，投资额{a2}亿元；外资项目{n3}个，合同外资{u}亿美元。{r}主要负责人表示，将为落地项目提供全周期服务。",
    "签约项目中，亿元以上项目{n2}个，总投资{a2}亿元，预计达产后年产值{v}亿元，带动就业{j}人。",
    "据介绍，本次签约的{i2}项目投资{a2}亿元，建成后可实现年销售收入{v}亿元、税收{t}亿元。",
    "活动期间，{r}与{k}家企业开展了一对一洽谈，达成合作意向{n2}项，意向投资{a2}亿元。",
];
const CLOSINGS: [&str; 4] = [
    "今年以来，{r}累计开展外出招商活动{c}批次，对接目标企业{k}户，新签约项目{n4}个，到位资金{f}亿元。",
    "截至{m2}月底，{r}{y}年已签约项目{n4}个，完成到位资金{f}亿元，同比增长{g}%。",
    "下一步，{r}将围绕{i}和{i2}两条产业链精准招商，力争全年招引项目{n4}个以上、到位资金{f}亿元。",
    "{r}相关负责人介绍，{y}年全市重点产业项目完成投资{f}亿元，开工项目{n4}个，投产项目{c}个。",
];
const PLACES: [&str; 6] = ["西安", "深圳", "上海", "成都", "杭州", "北京"];

/// The `index`-th article of a family of look-alike but distinct stories:
/// same templates, different regions, industries, dates and figures.
pub fn generated_article(index: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(0x5eed_0000 + index);
    let pick = |rng: &mut fastrand::Rng, xs: &[&'static str]| xs[rng.usize(..xs.len())];
    let r = pick(&mut rng, &REGIONS);
    let i = pick(&mut rng, &INDUSTRIES);
    let i2 = pick(&mut rng, &INDUSTRIES);
    let dec = |rng: &mut fastrand::Rng, lo: u32, hi: u32| format!("{}.{}", rng.u32(lo..hi), rng.u32(1..10));
    let fill = |t: &str, rng: &mut fastrand::Rng| {
        t.replace("{r}", r)
            .replace("{i2}", i2)
            .replace("{i}", i)
            .replace("{p}", pick(rng, &PLACES))
            .replace("{y}", &rng.u32(2015..2026).to_string())
            .replace("{m2}", &rng.u32(1..13).to_string())
            .replace("{m}", &rng.u32(1..13).to_string())
            .replace("{d}", &rng.u32(1..29).to_string())
            .replace("{q}", ["一", "二", "三", "四"][rng.usize(..4)])
            .replace("{n2}", &rng.u32(2..20).to_string())
            .replace("{n3}", &rng.u32(1..6).to_string())
            .replace("{n4}", &rng.u32(20..400).to_string())
            .replace("{n}", &rng.u32(5..60).to_string())
            .replace("{a2}", &dec(rng, 3, 90))
            .replace("{a}", &dec(rng, 20, 900))
            .replace("{u}", &dec(rng, 1, 9))
            .replace("{v}", &dec(rng, 10, 300))
            .replace("{t}", &dec(rng, 1, 20))
            .replace("{j}", &rng.u32(300..5000).to_string())
            .replace("{k}", &rng.u32(20..400).to_string())
            .replace("{c}", &rng.u32(12..200).to_string())
            .replace("{f}", &dec(rng, 30, 900))
            .replace("{g}", &dec(rng, 1, 40))
    };
    let a = fill(pick(&mut rng, &OPENINGS), &mut rng);
    let b = fill(pick(&mut rng, &MIDDLES), &mut rng);
    let c = fill(pick(&mut rng, &CLOSINGS), &mut rng);
    format!("{a}\n{b}\n{c}")
}

/// A clock the test moves by hand.
pub fn manual_clock(start: i64) -> (Arc<AtomicI64>, Clock) {
    let now = Arc::new(AtomicI64::new(start));
    let read = now.clone();
    (now, Arc::new(move || read.load(Ordering::SeqCst)))
}

pub fn config(backend: DedupBackend, path: &Path, redis_url: &str, prefix: &str) -> DedupConfig {
    DedupConfig {
        backend,
        path: path.to_owned(),
        window_days: 30,
        redis_url: redis_url.to_owned(),
        redis_key_prefix: prefix.to_owned(),
        redis_failure_policy: RedisFailurePolicy::Fail,
        redis_timeout_ms: 2000,
        near_threshold: 0.5,
    }
}

/// The Redis URL for tests, or `None` (with a notice) when tests may skip
/// it; with ZHAOSHANG_REQUIRE_SERVICES=1 a missing Redis is a failure.
pub fn redis_url(test: &str) -> Option<String> {
    match std::env::var("ZHAOSHANG_TEST_REDIS") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("ZHAOSHANG_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("{test}: ZHAOSHANG_REQUIRE_SERVICES=1 but ZHAOSHANG_TEST_REDIS is unset (scripts/services/redis.sh start)")
        }
        _ => {
            eprintln!("{test}: skipped, ZHAOSHANG_TEST_REDIS is unset (scripts/services/redis.sh start prints the URL)");
            None
        }
    }
}

/// A key prefix no other test run shares.
pub fn unique_prefix(test: &str) -> String {
    format!("zhaoshang-test:{test}:{}:{}", std::process::id(), fastrand::u64(..))
}

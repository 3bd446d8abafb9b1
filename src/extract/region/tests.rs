//! Table-driven tests of name resolution, article and clause regions, on text written for them.

use super::*;
use std::sync::OnceLock;

fn divisions() -> &'static Divisions {
    static D: OnceLock<Divisions> = OnceLock::new();
    D.get_or_init(|| Divisions::embedded().expect("embedded table loads"))
}

fn code(r: Option<Region>) -> String {
    r.map(|r| r.adcode).unwrap_or_else(|| "-".into())
}

#[test]
fn table_has_every_level_and_the_chain() {
    let d = divisions();
    assert!(d.len() > 3000);
    let tongshan = d.by_code("320312").expect("铜山区");
    assert_eq!(tongshan.name, "铜山区");
    assert_eq!(tongshan.level, RegionLevel::County);
    assert_eq!(tongshan.city.as_deref(), Some("徐州市"));
    assert_eq!(tongshan.province.as_deref(), Some("江苏省"));
    let wanzhou = d.by_code("500101").expect("万州区");
    assert_eq!((wanzhou.city.as_deref(), wanzhou.province.as_deref()), (Some("重庆市"), Some("重庆市")));
    let tongchuan = d.by_code("610200").expect("铜川市");
    assert_eq!((tongchuan.level, tongchuan.county.as_deref()), (RegionLevel::City, None));
    assert_eq!(d.by_code("650000").map(|r| r.level), Some(RegionLevel::Province));
    assert!(d.by_code("110100").is_none(), "市辖区 placeholders are not divisions");
    let jiyuan = d.by_code("419001").expect("济源市");
    assert_eq!((jiyuan.city.as_deref(), jiyuan.province.as_deref()), (None, Some("河南省")));
}

#[test]
fn single_names_resolve_by_policy() {
    let cases: &[(&str, &str)] = &[
        ("铜山区", "320312"),
        ("铜山", "320312"),
        ("铜川市", "610200"),
        ("铜川", "610200"),
        ("甘肃省", "620000"),
        ("甘肃", "620000"),
        ("内蒙古自治区", "150000"),
        ("内蒙古", "150000"),
        ("延边朝鲜族自治州", "222400"),
        ("延边", "222400"),
        ("延边州", "222400"),
        ("万州", "500101"),
        ("锡林郭勒盟", "152500"),
        ("江苏省徐州市铜山区", "320312"),
        ("云霄县", "350622"),
        // A province or city short name beats same-named counties elsewhere.
        ("海南", "460000"),
        ("吉林", "220000"),
        ("朝阳", "211300"),
        ("朝阳市", "211300"),
        // Counties sharing a name, with nothing to choose between them.
        ("鼓楼区", "-"),
        ("通州", "-"),
        ("朝阳区", "-"),
        // Ordinary words: only their full names are places.
        ("和平区", "-"),
        ("新建区", "360112"),
        ("甘肃铜川", "-"),
        // Former names and state-level new areas, from the team's aliases file.
        ("襄樊", "420600"),
        ("两江新区", "500000"),
        ("雄安新区", "130600"),
        ("火星", "-"),
        ("", "-"),
    ];
    let d = divisions();
    for (name, want) in cases {
        assert_eq!(code(d.resolve_name(name)), *want, "{name}");
    }
    let beijing = d.by_code("110000");
    assert_eq!(code(d.resolve_name_in("朝阳区", beijing)), "110105");
    assert_eq!(code(d.resolve_name_in("鼓楼区", d.by_code("320100"))), "320106");
    assert_eq!(code(d.resolve_name_in("通州", beijing)), "110112");
}

#[test]
fn mentions_carry_character_offsets_and_skip_ordinary_words() {
    let d = divisions();
    let text = "据悉,徐州铜山新建项目12个,和平发展,合作市场广阔,中山路上的铜山区政府。";
    let got: Vec<(usize, usize, String)> =
        d.mentions(text).into_iter().map(|m| (m.start, m.end, m.region.adcode)).collect();
    assert_eq!(
        got,
        vec![(3, 5, "320300".to_owned()), (5, 7, "320312".to_owned()), (32, 35, "320312".to_owned())]
    );
    for m in d.mentions(text) {
        let span: String = text.chars().skip(m.start).take(m.end - m.start).collect();
        assert!(m.region.name.starts_with(&span), "{span} vs {}", m.region.name);
    }
}

#[test]
fn features_and_given_names_are_not_places() {
    let d = divisions();
    let cases: &[(&str, &[&str])] = &[
        ("黄河南岸的产业园签约项目8个", &[]),
        ("长江西岸、泰山东麓和沿海南部地区", &[]),
        ("河南签约项目20个,湖北签约15个", &["410000", "420000"]),
        ("记者李卫东报道,卫东区签约项目5个", &["410403"]),
        // Ordinary words that are also short names: only the full name counts.
        ("整合招商资源,搭建平台,比如南部商城项目,资源县签约3个", &["450329"]),
        ("政府拿出真金白银,阿里云数据中心落户", &[]),
        // Two characters that belong to the words around them (十大|新兴, 投资|兴业).
        ("围绕十大新兴产业,吸引乡贤回乡投资兴业", &[]),
        ("大新县、资兴市签约项目各5个,江西南康签约3个", &["451424", "431081", "360000", "360703"]),
        ("李卫东院长出席", &[]),
        ("推进幸福建设,感谢各位来宾,发展朝阳产业", &[]),
        ("福建签约项目30个,来宾市签约5个", &["350000", "451300"]),
    ];
    for (text, want) in cases {
        let got: Vec<String> = d.mentions(text).into_iter().map(|m| m.region.adcode).collect();
        assert_eq!(&got, want, "{text}");
    }
}

#[test]
fn context_settles_shared_names() {
    let d = divisions();
    let beijing = d.by_code("110000").cloned();
    let changchun = d.by_code("220100").cloned();
    let cases: &[(&str, Option<&Region>, &str)] = &[
        ("朝阳区新签约项目", beijing.as_ref(), "110105"),
        ("朝阳区新签约项目", changchun.as_ref(), "220104"),
        ("海淀新签约项目", beijing.as_ref(), "110108"),
        // 朝阳 alone is a word (朝阳产业); its full names still count.
        ("朝阳新签约项目", beijing.as_ref(), "-"),
        ("通州区签约", beijing.as_ref(), "110112"),
        ("通州区签约", None, "-"),
    ];
    for (text, ctx, want) in cases {
        let got = d.mentions_in(text, *ctx).into_iter().next().map(|m| m.region);
        assert_eq!(code(got), *want, "{text} in {:?}", ctx.map(|r| &r.name));
    }
    // Without an explicit context, the text's own unambiguous places decide.
    let text = "南京市鼓楼区、玄武区和建邺区的项目";
    let got: Vec<String> = d.mentions(text).into_iter().map(|m| m.region.adcode).collect();
    assert_eq!(got, ["320100", "320106", "320102", "320105"]);
}

#[test]
fn article_region_from_source_title_dateline_and_body() {
    let d = divisions();
    let cases: &[(Option<&str>, Option<&str>, &str, &str)] = &[
        (None, None, "首页 资讯\n我市招商引资再创佳绩\n2024-05-12 10:00 来源:铜川市人民政府\n今年以来,全市签约项目80个。", "610200"),
        (Some("扬州日报"), None, "全市上半年新签约亿元以上项目120个,其中仪征市签约15个。", "321000"),
        (None, Some("万州力争全年到位资金150亿元"), "日前,区政府印发方案,全区力争到位资金150亿元。", "500101"),
        (None, None, "东南网5月3日讯 近日,云霄县举行项目集中签约仪式,云霄县共签约项目12个。漳州市有关领导出席。", "350622"),
        (None, None, "据阜阳日报报道,今年前5月,全市新签约项目90个,太和县、颍上县签约项目分别为15个和12个。", "341200"),
        (
            None,
            None,
            "记者从自治区商务厅获悉,今年新疆到位资金增长15%。乌鲁木齐市、昌吉回族自治州、喀什地区位居前列。新疆将继续扩大开放。",
            "650000",
        ),
        (None, None, "本报郑州电 我市组团参加在郑州举行的洽谈会,周口市签约项目10个,太康县、西华县各签约3个。我市将跟踪服务。", "411600"),
        // A fair named after the capital, in an article that speaks as 我省.
        (None, None, "大西北网讯 第三十届兰洽会闭幕,兰州市签约项目300个。我省将抓好项目落地。", "620000"),
        // The county that opens the clauses, at a fair of its city.
        (None, None, "记者在绥化市产业项目集中签约会上获悉,北林区共有12个项目集中签约,引资37亿元。北林区邀请了50多家客商参展参会,对接项目20个。绥化市有关领导出席。", "231202"),
        // A given name that is also a county's short name (李卫东 vs 卫东区) is not a place.
        (None, None, "广西一所学院与企业签订校企合作协议,院长李卫东出席。", "450000"),
        // A city that says 全市 keeps its voice, even when one district has most of the news.
        (
            None,
            None,
            "今年以来,全市新签约项目200个。铜山区签约项目80个,铜山区到位资金120亿元,铜山区新开工项目30个。全市将继续优化营商环境,徐州市招商工作稳步推进。",
            "320300",
        ),
        // A navigation line of place names is furniture, not the topic.
        (
            None,
            None,
            "首页 铜川 西安 宝鸡 咸阳 渭南 延安\n扬州市上半年新签约亿元以上项目120个,总投资超过800亿元,扬州市将继续推进重特大项目招引工作。",
            "321000",
        ),
        // A title's venue is not its topic.
        (None, Some("铜川在上海举办招商推介会"), "推介会上签约项目10个,总投资50亿元。", "610200"),
        // 来源 inside a sentence is not a source line.
        (
            None,
            None,
            "今年以来,铜川市签约项目80个,到位资金50亿元,资金来源主要是浙江,铜川市将继续优化营商环境。",
            "610200",
        ),
        (None, None, "今日天气晴。", "-"),
    ];
    for (source, title, text, want) in cases {
        assert_eq!(code(d.article_region(*title, *source, text)), *want, "{text}");
    }
}

#[test]
fn clause_region_prefers_the_actor_over_venue_and_partner() {
    let d = divisions();
    let zhoukou = d.by_code("411600").cloned();
    let xuzhou = d.by_code("320300").cloned();
    let cases: &[(&str, Option<&Region>, &str)] = &[
        ("我市在上海举办推介会,签约项目10个", zhoukou.as_ref(), "411600"),
        ("赴深圳、上海等地开展招商活动20场次", zhoukou.as_ref(), "411600"),
        ("与苏州市签订合作项目8个", zhoukou.as_ref(), "411600"),
        ("全省共有300多个重大合作项目签约", zhoukou.as_ref(), "410000"),
        ("太康县政府与吴江一家纺织企业签订总投资5亿元的项目", zhoukou.as_ref(), "411627"),
        ("“河南省承接产业转移洽谈会”上我市签约项目10个", zhoukou.as_ref(), "411600"),
        ("河南省投资洽谈会上,我市签约项目10个", zhoukou.as_ref(), "411600"),
        ("铜山区签约项目15个", xuzhou.as_ref(), "320312"),
        ("江苏省徐州市铜山区签约项目15个", None, "320312"),
        ("全市签约项目655个", xuzhou.as_ref(), "320300"),
        ("浙江客商投资的项目3个", xuzhou.as_ref(), "320300"),
        ("签约项目5个", None, "-"),
        // A place inside a phrase, outside the article's region, names a firm or an origin.
        ("投资4亿元的徐州宏达物流有限公司仓储项目顺利签约", zhoukou.as_ref(), "411600"),
        ("引进深圳企业投资项目3个", zhoukou.as_ref(), "411600"),
        // As the subject it is the actor, even outside the article's region.
        ("郑州市签约项目50个", zhoukou.as_ref(), "410100"),
        ("一季度郑州市签约项目50个", zhoukou.as_ref(), "410100"),
        ("近年来郑州市引进项目50个", zhoukou.as_ref(), "410100"),
        ("迎来郑州企业投资项目5个", zhoukou.as_ref(), "411600"),
        // A county of the article's city inside a project name is that county's fact.
        ("总投资26亿元的太康纺织产业园项目已开工", zhoukou.as_ref(), "411627"),
        // Named by the article's county, its city inside a phrase: still the county.
        ("投资4.2亿元的周口物流港项目签约", d.by_code("411627"), "411627"),
    ];
    for (clause, art, want) in cases {
        assert_eq!(code(d.clause_region(clause, *art)), *want, "{clause}");
    }
}

#[test]
fn clause_actor_has_no_fallback() {
    let d = divisions();
    let beijing = d.by_code("110000").cloned();
    let cases: &[(&str, Option<&Region>, &str)] = &[
        ("签约项目5个", beijing.as_ref(), "-"),
        ("在上海举办推介会", beijing.as_ref(), "-"),
        ("全市签约项目5个", beijing.as_ref(), "110000"),
        ("全市签约项目5个", None, "-"),
        // An ambiguous name is an actor once the article's region tells which.
        ("朝阳区签约项目5个", beijing.as_ref(), "110105"),
        ("朝阳区签约项目5个", None, "-"),
    ];
    for (clause, art, want) in cases {
        assert_eq!(code(d.clause_actor(clause, *art)), *want, "{clause}");
    }
}

#[test]
fn cues_follow_the_article_level() {
    let d = divisions();
    let wanzhou = d.by_code("500101").cloned().expect("万州区");
    let jinjiang = d.by_code("350582").cloned().expect("晋江市");
    let tongshan = d.by_code("320312").cloned().expect("铜山区");
    assert_eq!(code(d.cue_region(Cue::City, &wanzhou)), "500000");
    assert_eq!(code(d.cue_region(Cue::City, &jinjiang)), "350582");
    assert_eq!(code(d.cue_region(Cue::City, &tongshan)), "320300");
    assert_eq!(code(d.cue_region(Cue::Province, &tongshan)), "320000");
    assert_eq!(code(d.cue_region(Cue::District, &tongshan)), "320312");
}

/// Article-region accuracy on the development corpus (read in place, never
/// copied): `cargo test --lib dev_corpus_article_regions -- --ignored --nocapture`.
/// `ZHAOSHANG_DEV_CORPUS` points elsewhere. Prints predicted vs gold per article.
#[test]
#[ignore = "reads the shared development corpus"]
fn dev_corpus_article_regions() {
    use crate::decode::{decode, DecodeLimits};
    use crate::normalize::normalize;
    let dir = std::env::var("ZHAOSHANG_DEV_CORPUS").unwrap_or_else(|_| "/work/shared/corpus/dev".into());
    let gold = std::fs::read_to_string(format!("{dir}/gold.jsonl")).expect("gold.jsonl readable");
    let t = std::time::Instant::now();
    let built = Divisions::embedded().expect("embedded table loads");
    println!(
        "Divisions::embedded(): {:.1} ms, ~{} KiB heap of which automaton {} KiB ({} divisions, {} index strings)",
        t.elapsed().as_secs_f64() * 1e3,
        built.memory_usage() / 1024,
        built.automaton.memory_usage() / 1024,
        built.len(),
        built.patterns.len()
    );
    let d = divisions();
    let (mut right, mut total, mut fact_right, mut fact_total) = (0, 0, 0, 0);
    let (mut scanned_chars, mut scan_time) = (0usize, std::time::Duration::ZERO);
    let ruby = regex::Regex::new(r"(\p{Han})\([a-zA-Z\u{00C0}-\u{024F}\u{0300}-\u{036F}ḿ]{1,7}\)").expect("ruby pattern");
    for line in gold.lines() {
        let g: serde_json::Value = serde_json::from_str(line).expect("gold line is JSON");
        let id = g["id"].as_str().expect("gold id");
        let bytes = std::fs::read(format!("{dir}/{id}.txt")).expect("article readable");
        let Ok(raw) = decode(&bytes, Some(id), &DecodeLimits::default()) else { continue };
        let doc = normalize(&raw);
        // Folding that normalize owns; idempotent, so harmless once normalize does it.
        let text = hanconv::t2s(ruby.replace_all(&doc.text, "$1"));
        let title = doc.title.as_deref().map(hanconv::t2s);
        let got = d.article_region(title.as_deref(), raw.source.as_deref(), &text);
        let t = std::time::Instant::now();
        let mentions = d.mentions(&text);
        scan_time += t.elapsed();
        scanned_chars += text.chars().count();
        let got = got.map(|r| format!("{} {}", r.adcode, r.name)).unwrap_or_else(|| "-".into());
        if let Some(want) = g["region"].as_str() {
            total += 1;
            let ok = got.starts_with(want);
            right += usize::from(ok);
            let published = crate::extract::period::publication_date(raw.published_at.as_deref(), &text, None);
            println!("{} {id:<22} gold {want} got {got} (published {published:?})", if ok { "ok " } else { "BAD" });
            if std::env::var_os("ZHAOSHANG_DEV_MENTIONS").is_some() {
                let chars: Vec<char> = text.chars().collect();
                for m in &mentions {
                    let ctx: String = chars[m.start.saturating_sub(6)..(m.end + 4).min(chars.len())].iter().collect();
                    println!("    M {} {} | {}", m.region.adcode, m.region.name, ctx.replace('\n', " "));
                }
            }
            if !ok && std::env::var_os("ZHAOSHANG_DEV_VERBOSE").is_some() {
                let names: Vec<String> = mentions.iter().take(40).map(|m| format!("{}@{}", m.region.name, m.start)).collect();
                println!("    {}", names.join(" "));
            }
            for f in g["facts"].as_array().into_iter().flatten() {
                if let Some(fr) = f["region"].as_str() {
                    fact_total += 1;
                    fact_right += usize::from(got.starts_with(fr));
                }
            }
        }
    }
    println!("article region: {right}/{total}; facts whose region is the article's predicted region: {fact_right}/{fact_total}");
    println!(
        "mentions(): {scanned_chars} characters in {:.2} ms ({:.1} M chars/s)",
        scan_time.as_secs_f64() * 1e3,
        scanned_chars as f64 / scan_time.as_secs_f64().max(1e-9) / 1e6
    );
    assert!(total > 0, "no gold article regions found under {dir}");
}

#[test]
fn large_and_odd_inputs_resolve_without_panicking() {
    let d = divisions();
    let big = "铜川市签约项目5个,在上海举办推介会。\n".repeat(5_000);
    assert_eq!(d.mentions(&big).len(), 10_000);
    assert_eq!(code(d.article_region(None, None, &big)), "610200");
    assert_eq!(code(d.clause_region(&big, None)), "610200");
    for odd in ["", "\n\n", "市", "我市", "“”《》()（）", "铜", "\u{FFFD}\u{FFFD}", "????铜川????"] {
        let _ = d.mentions(odd);
        let _ = d.article_region(Some(odd), Some(odd), odd);
        let _ = d.clause_region(odd, d.by_code("610200"));
        let _ = d.resolve_name(odd);
    }
    assert_eq!(code(d.clause_region("我市", d.by_code("610200").cloned().as_ref())), "610200");
}

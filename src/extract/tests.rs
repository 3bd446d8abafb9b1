//! Table-driven checks of the extractor on sentences written for these
//! tests, imitating how promotion news states its figures.

use super::*;
use crate::event::Script;

/// kind, metric, value of one measure
type Flat = (EventKind, Metric, f64);

fn facts(ex: &Extractor, text: &str) -> Vec<Flat> {
    let meta = ArticleMeta { id: "t".into(), ..ArticleMeta::default() };
    let doc = Normalized { text: text.to_owned(), title: None, script: Script::Simplified };
    ex.extract(&meta, &doc)
        .into_iter()
        .flat_map(|e| e.measures.into_iter().map(move |m| (e.kind, m.metric, m.value)))
        .collect()
}

use EventKind::*;
use Metric::*;

#[test]
fn kinds_metrics_and_values() {
    let ex = Extractor::new().unwrap();
    let cases: &[(&str, &[Flat])] = &[
        (
            "今年全县招商引资签约项目42个、涉及金额356.8亿元，其中先进制造业项目30个、涉及金额210亿元。",
            &[(Signing, ProjectCount, 42.0), (Signing, Amount, 35_680_000_000.0), (Signing, ProjectCount, 30.0), (Signing, Amount, 21_000_000_000.0)],
        ),
        ("全县签约合同项目开工37个，其中工业项目开工20个。", &[(ConstructionStart, ProjectCount, 37.0), (ConstructionStart, ProjectCount, 20.0)]),
        ("当年招商引资签约并建成项目15个。", &[(Completion, ProjectCount, 15.0)]),
        ("力争全年招商引资到位资金80亿元。", &[(Target, Amount, 8_000_000_000.0)]),
        ("上半年完成招商引资到位资金45.6亿元，同比增长12.5%。", &[(FundsInPlace, Amount, 4_560_000_000.0), (FundsInPlace, Percent, 12.5)]),
        ("全市外出招商考察活动120批次，对接企业360户，邀请考察企业85家。", &[
            (PromotionActivity, ActivityCount, 120.0),
            (PromotionActivity, CompanyCount, 360.0),
            (PromotionActivity, CompanyCount, 85.0),
        ]),
        ("该区今年招引总投资亿元以上项目23个。", &[(Attraction, ProjectCount, 23.0)]),
        ("全年招商引资重大产业项目投资88.5亿元。", &[(InvestmentProgress, Amount, 8_850_000_000.0)]),
        ("总投资36亿元的某某新型储能电池生产基地项目成功签约。", &[(Project, Amount, 3_600_000_000.0)]),
        ("本次集中签约外资项目6个，总投资2.35亿美元。", &[(Signing, ProjectCount, 6.0), (Signing, Amount, 235_000_000.0)]),
        ("全县外出招商走访客商300余家。", &[(PromotionActivity, CompanyCount, 300.0)]),
        ("当前招商引资在谈的10亿元以上项目有9个，其中50亿元以上项目2个。", &[(Attraction, ProjectCount, 9.0), (Attraction, ProjectCount, 2.0)]),
        ("签约项目十二个，总投资一百二十亿元。", &[(Signing, ProjectCount, 12.0), (Signing, Amount, 12_000_000_000.0)]),
        ("全县招商引资项目共洽谈达成意向项目8个。", &[(Attraction, ProjectCount, 8.0)]),
        ("全县招商引资签约项目30个，已开工建设21个。", &[(Signing, ProjectCount, 30.0), (ConstructionStart, ProjectCount, 21.0)]),
        ("下半年力争招引亿元以上项目40个以上。", &[(Target, ProjectCount, 40.0)]),
        ("招商引资签约总金额86亿，同比增长9%。", &[(Signing, Amount, 8_600_000_000.0), (Signing, Percent, 9.0)]),
        ("该区招商引资签约项目15个，其中10亿元至30亿元项目4个。", &[(Signing, ProjectCount, 15.0), (Signing, ProjectCount, 4.0)]),
        ("招商引资再传捷报，某某集团将投资18亿元在该区建设智能装备产业园项目。", &[(Project, Amount, 1_800_000_000.0)]),
        ("招商引资推介会上，与某公司签约的某某冷链物流园项目总投资达12亿元。", &[(Project, Amount, 1_200_000_000.0)]),
        ("全省五市招商引资到资超300亿元。", &[]),
        ("该县将力争全年新签约项目60个以上，实现省外到位资金90亿元。", &[(Target, ProjectCount, 60.0), (Target, Amount, 9_000_000_000.0)]),
        ("上半年全市招引亿元以上项目52个超额完成全年目标。", &[(Attraction, ProjectCount, 52.0)]),
        ("全年招商引资到位资金620亿元，完成全年目标任务700亿元的88.6%。", &[(FundsInPlace, Amount, 62_000_000_000.0), (Target, Amount, 70_000_000_000.0)]),
        ("全市14个县区共签约招商引资项目200个，总投资超500亿元。", &[(Signing, ProjectCount, 200.0), (Signing, Amount, 50_000_000_000.0)]),
        ("招商引资项目新增就业岗位2000个，年产值可达80亿元，年纳税3亿元。", &[]),
        ("项目建成后可带动社会投资120亿元，市财政安排招商引资专项资金5000万元。", &[]),
    ];
    for (text, want) in cases {
        assert_eq!(facts(&ex, text), *want, "{text}");
    }
}

#[test]
fn thresholds_are_not_measures() {
    let ex = Extractor::new().unwrap();
    for text in [
        "招商引资要在100亿元以上重特大项目、3亿美元以上外资项目上取得突破。",
        "重大项目是指投资20亿元以上的项目。",
        "招商引资项目投资额均在5000万元以上。",
    ] {
        assert_eq!(facts(&ex, text), [], "{text}");
    }
}

#[test]
fn irrelevant_articles_yield_nothing() {
    let ex = Extractor::new().unwrap();
    for text in [
        "沪深两市成交金额为3521亿元，上证指数跌0.5%。",
        "某俱乐部与前锋签约，转会费达800万欧元。",
        "全区家庭医生签约服务覆盖居民35万人，签约率达42%。",
        "1-9月全市固定资产投资完成412亿元，同比增长6.1%。",
        "公司上半年实现营业收入12.3亿元，净利润1.1亿元。",
        "招商银行、招商证券领涨，两市上市公司中上涨的有3200家，总投资者情绪回暖。",
    ] {
        assert_eq!(facts(&ex, text), [], "{text}");
    }
}

#[test]
fn repeated_statements_are_emitted_once_distinct_equal_values_twice() {
    let ex = Extractor::new().unwrap();
    let text = "某县签约项目9个 总投资52亿元\n某县本季度签约项目9个，总投资52亿元。其中农业项目3个，文旅项目3个。";
    assert_eq!(
        facts(&ex, text),
        [(Signing, ProjectCount, 9.0), (Signing, Amount, 5_200_000_000.0), (Signing, ProjectCount, 3.0), (Signing, ProjectCount, 3.0)]
    );
}

#[test]
fn a_rounded_headline_figure_restates_the_precise_one() {
    let ex = Extractor::new().unwrap();
    let text = "某县招商引资到位资金突破50亿元\n今年以来，某县完成招商引资到位资金53.2亿元。";
    assert_eq!(facts(&ex, text), [(FundsInPlace, Amount, 5_320_000_000.0)]);
}

#[test]
fn a_set_counted_before_and_referred_to_again_is_one_fact() {
    let ex = Extractor::new().unwrap();
    let text = "招商推介会上，该县有8个项目集中签约。这8个项目将全部落户县经济开发区。";
    assert_eq!(facts(&ex, text), [(Signing, ProjectCount, 8.0)]);
    let text = "博览会现场签约金额达650亿元\n本届博览会集中签约项目96个，签约金额650.4亿元。";
    assert_eq!(facts(&ex, text), [(Signing, Amount, 65_000_000_000.0), (Signing, ProjectCount, 96.0)]);
}

#[test]
fn equal_figures_of_two_places_are_two_facts() {
    let ex = Extractor::new().unwrap();
    let text = "招商引资成果丰硕。崇仁县签约项目12个。宜黄县签约项目12个。";
    assert_eq!(facts(&ex, text), [(Signing, ProjectCount, 12.0), (Signing, ProjectCount, 12.0)]);
}

#[test]
fn evidence_offsets_are_characters() {
    let ex = Extractor::new().unwrap();
    let text = "招商引资成果显著。全市签约项目18个，总投资92亿元。";
    let meta = ArticleMeta { id: "t".into(), ..ArticleMeta::default() };
    let doc = Normalized { text: text.to_owned(), title: None, script: Script::Simplified };
    let events = ex.extract(&meta, &doc);
    assert_eq!(events.len(), 1);
    let e = &events[0].evidence;
    assert_eq!(e.text, "全市签约项目18个，总投资92亿元");
    let sliced: String = text.chars().skip(e.start).take(e.end - e.start).collect();
    assert_eq!(sliced, e.text);
    assert_eq!(events[0].event_id, Event::compute_id("t", Signing, e.start, e.end));
}

#[test]
fn qualifiers() {
    let ex = Extractor::new().unwrap();
    let meta = ArticleMeta { id: "t".into(), ..ArticleMeta::default() };
    let text = "全市招商引资签约项目60个，其中高技术项目21个。走访企业约200家。在谈项目15个。";
    let doc = Normalized { text: text.to_owned(), title: None, script: Script::Simplified };
    let events = ex.extract(&meta, &doc);
    let q: Vec<_> = events.iter().map(|e| (e.qualifiers.scope.clone(), e.qualifiers.approx, e.qualifiers.status)).collect();
    assert_eq!(
        q,
        [
            (None, None, None),
            (Some("高技术项目".to_owned()), None, None),
            (None, Some(Approx::About), None),
            (None, None, Some(Status::Negotiating)),
        ]
    );
}

#[test]
fn arbitrary_text_never_panics_and_evidence_always_slices() {
    let ex = Extractor::new().unwrap();
    let palette: Vec<char> = "招商引资签约项目个亿万元美元家户场次%％，,。；;：（()）、“”0123456789.一二两十百千亿万以上余多约近超其中总投资到位资金开工建成目标任务力争在谈 \n"
        .chars()
        .collect();
    let mut rng = fastrand::Rng::with_seed(7);
    let meta = ArticleMeta { id: "fuzz".into(), ..ArticleMeta::default() };
    let mut events = 0;
    for _ in 0..300 {
        let len = rng.usize(0..400);
        let text: String = (0..len).map(|_| palette[rng.usize(0..palette.len())]).collect();
        let doc = Normalized { text: text.clone(), title: None, script: Script::Simplified };
        for e in ex.extract(&meta, &doc) {
            events += 1;
            let sliced: String = text.chars().skip(e.evidence.start).take(e.evidence.end - e.evidence.start).collect();
            assert_eq!(sliced, e.evidence.text, "{text}");
            assert!(!e.measures.is_empty());
            assert!(e.measures.iter().all(|m| m.value.is_finite() && m.value >= 0.0));
        }
    }
    assert!(events > 0, "the generated texts should yield some events");
}

//! Period resolution: 今年, 去年底, 上半年, 1-8月, 2021年 → a year, using the
//! article's publication date as the anchor for relative expressions.

use chrono::NaiveDate;

use crate::event::Period;

/// When the article was published: the envelope's `published_at`, else a
/// date in the header lines (发布时间:2022-08-23, 2024-05-12 01:12,
/// 2020年10月11日, a dateline such as 10月11日讯 with the year unknown → None).
pub fn publication_date(published_at: Option<&str>, text: &str) -> Option<NaiveDate> {
    let _ = (published_at, text);
    None
}

/// The period a clause speaks of: an explicit year (2021年, 二〇二一年), a
/// relative one (今年, 去年, 去年底, 明年), a part of a year (上半年, 1-8月,
/// 一季度) anchored on `published`. `context` is the text before the clause
/// (same paragraph first), for a year stated earlier and still in force.
pub fn clause_period(clause: &str, context: &str, published: Option<NaiveDate>) -> Period {
    let _ = (clause, context, published);
    Period::default()
}

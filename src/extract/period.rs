//! Period resolution: 今年, 去年底, 上半年, 1-8月, 2021年 → a year, using the
//! article's publication date as the anchor for relative expressions.

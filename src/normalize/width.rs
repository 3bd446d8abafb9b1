//! Character-level cleanup: full-width forms, odd spaces, garbled `????` runs, whitespace.
//!
//! Numbers must come out as plain ASCII (`１２０亿元` → `120亿元`) so the
//! extractor needs one number grammar, while Chinese punctuation (、。“”)
//! stays because it marks clause boundaries.

/// Fold one character; `None` drops it (zero-width and control characters).
fn fold_char(c: char) -> Option<char> {
    match c {
        // Full-width ASCII block: digits, Latin letters and ASCII punctuation.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        // Ideographic, no-break and typographic spaces.
        '\u{3000}' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\t' => Some(' '),
        // Zero-width characters and a BOM that survived decoding.
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => None,
        '\r' => Some('\n'),
        c if c.is_control() && c != '\n' => None,
        c => Some(c),
    }
}

/// Full-width forms to ASCII, odd spaces to a plain space, invisible characters dropped.
pub fn fold(s: &str) -> String {
    s.chars().filter_map(fold_char).collect()
}

/// Units a figure may be separated from by a space or a line break in
/// pages converted from PDF or typeset with spaces (`219 个`, `1115.2\n亿元`).
const FIGURE_UNITS: &[char] = &['亿', '万', '千', '元', '个', '项', '家', '户', '场', '批', '次', '%', '年', '月', '日'];

/// Collapse whitespace runs inside each line, trim lines, drop empty ones.
/// A space between a Han character and a digit, or between a digit and its
/// unit, is dropped (`总投资 614.9 亿元` → `总投资614.9亿元`), and a line
/// break between a figure and its unit is joined: Chinese text puts no
/// space there, so one is an artefact of typesetting that would cut the figure.
pub fn tidy_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let mut pending_space = false;
        let first = line.trim_start().chars().next();
        // across lines only the units that begin no word (亿元, 万元, %): 项目, 年初, 个人 do
        if out.ends_with('\n') && out[..out.len() - 1].ends_with(|c: char| c.is_ascii_digit()) && first.is_some_and(|c| matches!(c, '亿' | '万' | '元' | '%')) {
            out.pop();
        }
        let start = out.len();
        for c in line.chars() {
            if c == ' ' || c.is_whitespace() {
                pending_space = out.len() > start;
            } else {
                if pending_space {
                    let prev = out.chars().next_back();
                    let glued = match prev {
                        Some(p) if p.is_ascii_digit() => FIGURE_UNITS.contains(&c),
                        Some(p) => is_han(p) && c.is_ascii_digit(),
                        None => false,
                    };
                    if !glued {
                        out.push(' ');
                    }
                    pending_space = false;
                }
                out.push(c);
            }
        }
        if out.len() > start {
            out.push('\n');
        }
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Replace garbled runs left by a lossy source: any run of U+FFFD, or of
/// literal `?` that cannot be real punctuation (three or more, or two
/// followed directly by a Han character or digit).
///
/// A run next to an ASCII digit becomes a space so `12???34` never reads as
/// `1234`; elsewhere it is removed, since a lost character between two Han
/// characters or at a line end carries nothing recoverable.
pub fn drop_garbled_runs(s: &str) -> String {
    if !s.contains('?') && !s.contains('\u{FFFD}') {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '?' && c != '\u{FFFD}' {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        let mut replacement_chars = 0;
        while j < chars.len() && (chars[j] == '?' || chars[j] == '\u{FFFD}') {
            if chars[j] == '\u{FFFD}' {
                replacement_chars += 1;
            }
            j += 1;
        }
        let run = j - i;
        let next = chars.get(j).copied();
        let prev = out.chars().next_back();
        let garbled = replacement_chars > 0
            || run >= 3
            || (run == 2 && next.is_some_and(|n| is_han(n) || n.is_ascii_digit()));
        if garbled {
            let by_digit = prev.is_some_and(|p| p.is_ascii_digit()) || next.is_some_and(|n| n.is_ascii_digit());
            if by_digit {
                out.push(' ');
            }
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
}

/// CJK Unified Ideographs and their extension A (enough for news text).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_split_by_typesetting_are_joined() {
        let cases = [
            ("新签约亿元以上工业项目219 个,总投资 614.9 亿元", "新签约亿元以上工业项目219个,总投资614.9亿元"),
            ("总投资1115.2\n亿元", "总投资1115.2亿元"),
            ("2024 年 3 月", "2024年3月"),
            ("第一段。\n2024年", "第一段。\n2024年"),
            ("in 2024 the", "in 2024 the"),
            ("12 34", "12 34"),
        ];
        for (input, want) in cases {
            assert_eq!(tidy_lines(input), want, "{input}");
        }
    }

    #[test]
    fn folds_full_width_ascii_and_keeps_chinese_punctuation() {
        let cases = [
            ("签约项目１２０个，总投资４５．６亿元", "签约项目120个,总投资45.6亿元"),
            ("ＡＢＣ公司（集团）：增长１２％", "ABC公司(集团):增长12%"),
            ("一、招商引资。“双招双引”", "一、招商引资。“双招双引”"),
            ("记者\u{3000}王小明", "记者 王小明"),
            ("零\u{200B}宽\u{FEFF}字符", "零宽字符"),
            ("价格\u{00A0}上涨", "价格 上涨"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "input {input:?}");
        }
    }

    #[test]
    fn tidies_whitespace_per_line() {
        let cases = [
            ("  第一段  文字 \n\n\n   第二段\t\t内容  ", "第一段 文字\n第二段 内容"),
            ("\n\n", ""),
            ("单行", "单行"),
            ("a\r\nb", "a\nb"),
        ];
        for (input, want) in cases {
            assert_eq!(tidy_lines(&fold(input)), want, "input {input:?}");
        }
    }

    #[test]
    fn garbled_runs_neither_glue_numbers_nor_remain() {
        let cases = [
            ("????据本报报道,全市签约项目12个", "据本报报道,全市签约项目12个"),
            ("投资12???34万元", "投资12 34万元"),
            ("总投资25\u{FFFD}\u{FFFD}7亿元", "总投资25 7亿元"),
            ("交流??合作项目", "交流合作项目"),
            ("这是真的吗??", "这是真的吗??"),
            ("为什么?因为政策好", "为什么?因为政策好"),
            ("段落被截断在这\u{FFFD}", "段落被截断在这"),
            ("签约额达3??亿元", "签约额达3 亿元"),
            ("???", ""),
        ];
        for (input, want) in cases {
            assert_eq!(drop_garbled_runs(input), want, "input {input:?}");
        }
    }
}

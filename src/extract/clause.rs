//! Paragraphs, sentences and clauses of a normalised text, as byte spans.
//!
//! Facts live in clauses (`，` / `,` / `：` separated), their context in the
//! sentence (`。` / `；` / `！` / `？`) and paragraph (line). Commas inside
//! parentheses (`5亿元（人民币，下同）以上`) and between digits (`1,250`)
//! do not split, so a qualifier never loses its number.

/// A byte range of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub span: Span,
    /// Index of the paragraph (line) the sentence is in.
    pub paragraph: usize,
    /// Clauses in order; they cover the sentence without its delimiters.
    pub clauses: Vec<Span>,
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '；' | ';' | '！' | '!' | '？' | '?')
}

fn is_clause_end(c: char) -> bool {
    matches!(c, '，' | ',' | '：' | ':')
}

/// Sentences of `text`, in order, each with its clauses. Linear in the text.
pub fn sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut paragraph = 0;
    let mut sent_start = 0;
    let mut clause_start = 0;
    let mut clauses: Vec<Span> = Vec::new();
    let mut depth: u32 = 0;
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();

    fn push_clause(clauses: &mut Vec<Span>, text: &str, start: usize, end: usize) {
        let s = &text[start..end];
        let lead = s.len() - s.trim_start().len();
        let trail = s.len() - s.trim_end().len();
        if end - trail > start + lead {
            clauses.push(Span { start: start + lead, end: end - trail });
        }
    }

    while let Some((i, c)) = iter.next() {
        let next = iter.peek().map(|&(_, n)| n);
        let after = i + c.len_utf8();
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == '\n' {
            push_clause(&mut clauses, text, clause_start, i);
            finish(&mut out, &mut clauses, text, sent_start, i, paragraph);
            paragraph += 1;
            depth = 0;
            sent_start = after;
            clause_start = after;
        } else if is_sentence_end(c) && (depth == 0 || matches!(c, '。')) {
            push_clause(&mut clauses, text, clause_start, i);
            finish(&mut out, &mut clauses, text, sent_start, i, paragraph);
            depth = 0;
            sent_start = after;
            clause_start = after;
        } else if is_clause_end(c) && depth == 0 {
            let between_digits = matches!(c, ',' | ':')
                && prev.is_some_and(|p| p.is_ascii_digit())
                && next.is_some_and(|n| n.is_ascii_digit());
            if !between_digits {
                push_clause(&mut clauses, text, clause_start, i);
                clause_start = after;
            }
        }
        prev = Some(c);
    }
    push_clause(&mut clauses, text, clause_start, text.len());
    finish(&mut out, &mut clauses, text, sent_start, text.len(), paragraph);
    out
}

fn finish(out: &mut Vec<Sentence>, clauses: &mut Vec<Span>, text: &str, start: usize, end: usize, paragraph: usize) {
    if clauses.is_empty() {
        return;
    }
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let span = Span { start: start + lead, end: end.max(start + lead) };
    out.push(Sentence { span, paragraph, clauses: std::mem::take(clauses) });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(t: &'a str, s: &Sentence) -> Vec<&'a str> {
        s.clauses.iter().map(|c| &t[c.start..c.end]).collect()
    }

    #[test]
    fn splits_sentences_and_clauses() {
        let t = "全县签约项目12个、总投资30亿元，其中工业项目8个。\n从类别看：农业类项目3个,签约额1,250万元；文旅项目1个";
        let s = sentences(t);
        assert_eq!(s.len(), 3);
        assert_eq!(texts(t, &s[0]), ["全县签约项目12个、总投资30亿元", "其中工业项目8个"]);
        assert_eq!(s[0].paragraph, 0);
        assert_eq!(texts(t, &s[1]), ["从类别看", "农业类项目3个", "签约额1,250万元"]);
        assert_eq!(texts(t, &s[2]), ["文旅项目1个"]);
        assert_eq!(s[2].paragraph, 1);
    }

    #[test]
    fn parentheses_keep_their_commas() {
        let t = "该市5亿元（人民币，下同）以上签约项目共有9个，签约总额88亿元";
        let s = sentences(t);
        assert_eq!(texts(t, &s[0]), ["该市5亿元（人民币，下同）以上签约项目共有9个", "签约总额88亿元"]);
    }

    #[test]
    fn empty_and_blank_text() {
        assert!(sentences("").is_empty());
        assert!(sentences("\n \n。，").is_empty());
    }
}

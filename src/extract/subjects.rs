//! `subjects` of an event: the industries, companies and projects its
//! sentence names.

use regex::Regex;

use super::lexicon::{plain, Lexicon, INDUSTRIES};
use crate::event::Subjects;

pub struct SubjectFinder {
    industries: Lexicon<()>,
    /// A company name: a run without list separators ending in a company
    /// suffix (`某某科技有限公司`, `某某集团`).
    company: Regex,
    /// `X产业` for sectors the lexicon does not know.
    industry_pattern: Regex,
}

#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    #[error(transparent)]
    Regex(#[from] regex::Error),
    #[error(transparent)]
    Lexicon(#[from] aho_corasick::BuildError),
}

impl SubjectFinder {
    pub fn new() -> Result<Self, SubjectError> {
        Ok(SubjectFinder {
            industries: Lexicon::new(&plain(INDUSTRIES))?,
            company: Regex::new(
                r"(?:^|[与和同及对由是了的在向赴到、，,：:“])([^与和同及对由是了的在向赴到、，,。；;：:\s“”《》]{2,24}?(?:股份有限公司|有限责任公司|有限公司|集团))",
            )?,
            industry_pattern: Regex::new(r"([\p{Han}]{2,4})产业(?:链|集群|园)?")?,
        })
    }

    /// Industries named in the sentence; companies named in the sentence.
    /// Projects are filled in by the caller, which knows which amount
    /// belongs to which project.
    pub fn find(&self, sentence: &str, evidence: &str) -> Subjects {
        let mut industries: Vec<String> = Vec::new();
        let scope = if self.industries.any(evidence) { evidence } else { sentence };
        for (a, b, ()) in self.industries.find(scope) {
            push_unique(&mut industries, &scope[a..b]);
        }
        // The patterns below cannot match without their fixed words; most
        // sentences lack them, and a substring check is far cheaper than the regex.
        if industries.is_empty() && scope.contains("产业") {
            for caps in self.industry_pattern.captures_iter(scope) {
                if let Some(m) = caps.get(1) {
                    let name = m.as_str();
                    if !["主导", "重点", "优势", "传统", "特色", "相关", "上下游", "我市", "全市", "全省", "新兴", "战略性新兴"]
                        .iter()
                        .any(|g| name.ends_with(g))
                    {
                        push_unique(&mut industries, name);
                    }
                }
            }
        }
        let mut companies = Vec::new();
        if sentence.contains("公司") || sentence.contains("集团") {
            for caps in self.company.captures_iter(sentence) {
                if let Some(m) = caps.get(1) {
                    push_unique(&mut companies, m.as_str());
                }
            }
        }
        Subjects { industries, companies, projects: Vec::new() }
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industries_and_companies() {
        let f = SubjectFinder::new().unwrap();
        let s = f.find(
            "该县与某某新能源科技有限公司、某某控股集团签署协议，投资建设生物医药和新材料项目",
            "投资建设生物医药和新材料项目",
        );
        assert_eq!(s.industries, ["生物医药", "新材料"]);
        assert_eq!(s.companies, ["某某新能源科技有限公司", "某某控股集团"]);
        let s = f.find("围绕轨道交通产业链精准招商，签约项目8个", "签约项目8个");
        assert_eq!(s.industries, ["轨道交通"]);
    }
}

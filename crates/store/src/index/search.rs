//! Full-text search for Chinese and English, with exactly the substring semantics of
//! [`SiteFilter::matches`](atlas_core::SiteFilter::matches).
//!
//! SQLite's FTS5 tokenizers do not fit Chinese: `unicode61` makes one token of a whole run of Han
//! characters, and `trigram` finds nothing for the 1- and 2-character words people type (石化,
//! 园区, 孵化). So the store makes the tokens itself, from `Site::search_text()` lowercased, into
//! the one column of `sites_fts` (schema version 4), in text order:
//!
//! - a run of CJK characters (any non-ASCII letter or digit) gives each overlapping pair (a
//!   bigram), then its last character alone (the run's *tail*);
//! - a run of ASCII letters and digits of three or more gives each overlapping trigram, then the
//!   gap token [`GAP`];
//! - anything else separates runs and gives nothing.
//!
//! Tokens are the characters themselves (UTF-8), separated by spaces: the FTS5 `ascii`
//! tokenizer keeps every non-ASCII byte inside a token and splits only at ASCII punctuation and
//! spaces, so it reads them back unchanged. A bigram (two non-ASCII characters), a tail (one),
//! a trigram (three ASCII characters) and the gap (one ASCII letter) never look alike.
//!
//! A query term is cut into the same runs. Each run gives a constraint that any text containing
//! the term must meet: a 1-character CJK run the prefix query `"石"*` (every bigram starting
//! with it, and the tail: exactly the texts holding the character); a longer CJK run the phrase
//! of its bigrams; an ASCII run of ≥ 3 characters the phrase of its trigrams (so `chem` finds
//! `petrochemical`: substring, not just prefix). A phrase never spans two runs of the text: a
//! tail ends every CJK run and a gap every ASCII one, and neither belongs to any phrase. Shorter
//! ASCII runs and other characters give no constraint. The FTS match only narrows; a term it
//! does not decide exactly is then checked with `instr(search_text, term) > 0`. Hence the store
//! returns exactly what `SiteFilter::matches` accepts, and FTS keeps it fast whenever a term has
//! a usable run.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Ascii,
    Cjk,
    Other,
}

fn class(c: char) -> Class {
    if c.is_ascii_alphanumeric() {
        Class::Ascii
    } else if !c.is_ascii() && c.is_alphanumeric() {
        Class::Cjk
    } else {
        Class::Other
    }
}

/// Maximal runs of ASCII or CJK characters (lowercase input expected).
fn runs(text: &str) -> Vec<(Class, Vec<char>)> {
    let mut out: Vec<(Class, Vec<char>)> = Vec::new();
    let mut prev = Class::Other;
    for c in text.chars() {
        let k = class(c);
        match (k, out.last_mut()) {
            (Class::Other, _) => {}
            (k, Some((last, run))) if k == prev && *last == k => run.push(c),
            (k, _) => out.push((k, vec![c])),
        }
        prev = k;
    }
    out
}

/// Written after the trigrams of every ASCII run: a single letter is no trigram, so a phrase of
/// trigrams never spans two runs.
pub const GAP: &str = "x";

fn sep(out: &mut String) {
    if !out.is_empty() {
        out.push(' ');
    }
}

/// The tokens of a (lowercased) search text, as written to `sites_fts`.
pub fn document(text_lower: &str) -> String {
    let mut d = String::new();
    document_into(text_lower, &mut d);
    d
}

/// [`document`] into a reused buffer (an import tokenises a million texts).
pub fn document_into(text_lower: &str, d: &mut String) {
    d.clear();
    // The class of the previous character, the length of the run it ends, and the last two
    // characters of that run.
    let mut kind = Class::Other;
    let mut run_len = 0usize;
    let (mut p2, mut p1) = ('\0', '\0');
    for c in text_lower.chars() {
        let k = class(c);
        if k != kind {
            end_run(d, kind, run_len, p1);
            kind = k;
            run_len = 0;
        }
        match k {
            Class::Cjk if run_len >= 1 => {
                sep(d);
                d.push(p1);
                d.push(c);
            }
            Class::Ascii if run_len >= 2 => {
                sep(d);
                d.push(p2);
                d.push(p1);
                d.push(c);
            }
            _ => {}
        }
        p2 = p1;
        p1 = c;
        run_len += 1;
    }
    end_run(d, kind, run_len, p1);
}

/// What ends a run of `len` characters whose last is `last`: a CJK run its tail, an ASCII run
/// that gave trigrams the gap.
fn end_run(d: &mut String, kind: Class, len: usize, last: char) {
    match kind {
        Class::Cjk if len >= 1 => {
            sep(d);
            d.push(last);
        }
        Class::Ascii if len >= 3 => {
            sep(d);
            d.push_str(GAP);
        }
        _ => {}
    }
}

/// How a query's terms are searched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPlan {
    /// The FTS5 MATCH expression every text containing all terms satisfies, or `None` when no
    /// term has a run long enough to narrow the search.
    pub fts: Option<String>,
    /// The terms the MATCH does not decide exactly: each needs `instr(search_text, term) > 0`.
    pub check: Vec<String>,
}

/// The FTS constraint of one run of a term.
fn run_constraint(k: Class, run: &[char]) -> Option<String> {
    let grams = |n: usize| {
        run.windows(n)
            .map(|w| w.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match k {
        Class::Cjk if run.len() == 1 => Some(format!("\"{}\"*", run[0])),
        Class::Cjk => Some(format!("\"{}\"", grams(2))),
        Class::Ascii if run.len() >= 3 => Some(format!("\"{}\"", grams(3))),
        _ => None,
    }
}

/// Plans the search of `terms` (lowercased, as [`SiteFilter::terms`](atlas_core::SiteFilter::terms)
/// gives them).
///
/// A term that is a single run (only CJK characters, or only ASCII letters and digits, at least
/// three of them) is decided by the MATCH alone: its occurrences in a text are exactly the
/// places where its bigrams (trigrams) stand consecutively within one run, or for one
/// character, where a token starts with it, which is what the query asks. Any other term
/// (`r&d`, `5g智慧`, `co`) is narrowed by whatever runs it has and decided by `instr`.
pub fn plan(terms: &[String]) -> SearchPlan {
    let mut parts: Vec<String> = Vec::new();
    let mut check = Vec::new();
    for term in terms {
        let term_runs = runs(term);
        let whole = term_runs.len() == 1
            && term_runs
                .first()
                .is_some_and(|(_, r)| r.len() == term.chars().count());
        let mut exact = false;
        for (k, run) in &term_runs {
            if let Some(part) = run_constraint(*k, run) {
                exact = whole;
                if !parts.contains(&part) {
                    parts.push(part);
                }
            }
        }
        if !exact && !check.contains(term) {
            check.push(term.clone());
        }
    }
    SearchPlan {
        fts: (!parts.is_empty()).then(|| parts.join(" AND ")),
        check,
    }
}

/// The MATCH expression of [`plan`] alone.
#[cfg(test)]
fn match_expression(terms: &[String]) -> Option<String> {
    plan(terms).fts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens as specified (runs collected, then tokenised): `document` must agree.
    fn document_by_runs(text_lower: &str) -> String {
        let mut tokens: Vec<String> = Vec::new();
        for (k, run) in runs(text_lower) {
            match k {
                Class::Cjk => {
                    tokens.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
                    tokens.extend(run.last().map(|c| c.to_string()));
                }
                Class::Ascii if run.len() >= 3 => {
                    tokens.extend(run.windows(3).map(|w| w.iter().collect::<String>()));
                    tokens.push(GAP.to_string());
                }
                _ => {}
            }
        }
        tokens.join(" ")
    }

    #[test]
    fn streaming_tokeniser_agrees_with_runs() {
        let mut texts: Vec<String> = crate::synth::sites(3000, 3)
            .iter()
            .map(|s| s.search_text().to_lowercase())
            .collect();
        texts.extend(
            [
                "",
                "a",
                "ab",
                "abc",
                "石",
                "石化",
                "a石b化c",
                "ab石化cd高岭土efg",
                "x-y_z 5g智慧",
                "高岭 岭土 petro chem",
                "é石ü",
                "r&d 工程 ab cd",
            ]
            .map(String::from),
        );
        let mut d = String::new();
        for t in &texts {
            document_into(t, &mut d);
            assert_eq!(d, document_by_runs(t), "{t}");
        }
    }

    #[test]
    fn han_runs_become_bigrams_and_a_tail() {
        assert_eq!(
            document("石化园 r&d chemical"),
            "石化 化园 园 che hem emi mic ica cal x"
        );
        assert_eq!(document("石"), "石");
    }

    #[test]
    fn phrases_never_span_two_runs() {
        // 高岭土 is not in the text: its phrase 高岭 岭土 must not find it across the two runs.
        assert_eq!(
            document("高岭 岭土 petro chem"),
            "高岭 岭 岭土 土 pet etr tro x che hem x"
        );
    }

    #[test]
    fn single_run_terms_need_no_substring_check() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(plan(&t(&["石", "石化", "高岭土", "petro"]))
            .check
            .is_empty());
        assert_eq!(
            plan(&t(&["co", "r&d", "5g智慧", "石化"])).check,
            t(&["co", "r&d", "5g智慧"])
        );
        assert_eq!(plan(&t(&["co"])).fts, None);
    }

    #[test]
    fn query_terms_map_to_phrases_and_prefixes() {
        let t = |s: &str| vec![s.to_string()];
        assert_eq!(match_expression(&t("石")).as_deref(), Some("\"石\"*"));
        assert_eq!(match_expression(&t("石化")).as_deref(), Some("\"石化\""));
        assert_eq!(
            match_expression(&t("高岭土")).as_deref(),
            Some("\"高岭 岭土\"")
        );
        assert_eq!(match_expression(&t("chem")).as_deref(), Some("\"che hem\""));
        assert_eq!(match_expression(&t("5g")), None);
        assert_eq!(match_expression(&t("&")), None);
        assert_eq!(
            match_expression(&["r&d".into(), "石化".into()]).as_deref(),
            Some("\"石化\"")
        );
        assert_eq!(
            match_expression(&["5g智慧".into(), "石".into()]).as_deref(),
            Some("\"智慧\" AND \"石\"*")
        );
    }
}

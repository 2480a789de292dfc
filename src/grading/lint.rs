//! What `bank check` enforces so that the grader can do its job: phrases that an English answer can meet,
//! that do not restate the question, that are not too short or too generic alone, and that the question's own
//! model answer (and its strong evaluation answer, when there is one) actually state.

use std::collections::HashMap;

use super::eval::EvalSet;
use super::normalize::{find_phrase, normalize};
use super::{Prepared, Reading};
use crate::bank::{Bank, Diagnostic, KeyPoint};

/// A phrase found in more model answers than this (of other questions) is generic.
pub const GENERIC_IN: usize = 12;
/// A phrase shorter than this many characters is too short to stand alone.
const SHORTEST: usize = 3;

fn is_english(phrase: &str) -> bool {
    let t = normalize(phrase).text;
    t.chars().any(|c| c.is_ascii_alphabetic()) && t.chars().all(|c| c.is_ascii() || c == '&')
}

fn phrases_of(p: &KeyPoint) -> impl Iterator<Item = &String> {
    p.phrases.iter().chain(p.all.iter().flatten())
}

/// Checks a loaded bank (and the strong answers of an evaluation set, if given).
pub fn check(bank: &Bank, eval: Option<&EvalSet>) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    let questions: Vec<_> = bank
        .questions()
        .iter()
        .filter(|q| !q.is_choice() && !q.points.is_empty())
        .collect();
    let models: Vec<String> = questions.iter().map(|q| normalize(&q.answer).text).collect();
    let mut generic_cache: HashMap<String, usize> = HashMap::new();
    for (qi, q) in questions.iter().enumerate() {
        let prepared = Prepared::new(q);
        let name = &q.id;
        let (model_covers, model_contradicts) = prepared.statements(&q.answer);
        let strong = eval
            .and_then(|e| e.get(&q.id))
            .and_then(|e| e.answers.get("strong"));
        let strong_covers = strong.map(|s| prepared.statements(s).0);
        for (i, p) in q.points.iter().enumerate() {
            let n = i + 1;
            let at = p.location.clone();
            let needs_more = !p.all.is_empty();
            if !p.phrases.iter().any(|x| is_english(x)) {
                d.push(Diagnostic::error(
                    at.clone(),
                    format!("{name}: key point {n} has no English phrase"),
                ));
            }
            for (g, group) in p.all.iter().enumerate() {
                if !group.iter().any(|x| is_english(x)) {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!("{name}: key point {n}, `all` group {}, has no English phrase", g + 1),
                    ));
                }
            }
            for phrase in phrases_of(p) {
                if Prepared::restates_question(q, phrase) {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!(
                            "{name}: key point {n} phrase \"{phrase}\" is in the question's own text, so it can give no credit"
                        ),
                    ));
                }
                let conjunction = phrase.contains('&');
                if conjunction || needs_more {
                    continue;
                }
                let norm = normalize(phrase).text;
                if norm.chars().filter(|c| *c != ' ').count() < SHORTEST {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!(
                            "{name}: key point {n} phrase \"{phrase}\" is too short to stand alone: write `{phrase} & …` or give the point an `all` group"
                        ),
                    ));
                    continue;
                }
                let elsewhere = *generic_cache.entry(norm.clone()).or_insert_with(|| {
                    models
                        .iter()
                        .filter(|m| find_phrase(m, &norm).next().is_some())
                        .count()
                });
                let elsewhere = elsewhere - usize::from(find_phrase(&models[qi], &norm).next().is_some());
                if elsewhere > GENERIC_IN {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!(
                            "{name}: key point {n} phrase \"{phrase}\" is generic (in {elsewhere} other model answers): pair it with a second concept (`{phrase} & …` or `all`)"
                        ),
                    ));
                }
            }
            if let Some(c) = model_contradicts.iter().find(|c| c.point == i) {
                d.push(Diagnostic::error(
                    at.clone(),
                    format!(
                        "{name}: the model answer states key point {n}'s wrong phrase \"{}\"",
                        c.said
                    ),
                ));
            }
            if !model_covers.contains(&i) {
                d.push(Diagnostic::error(
                    at.clone(),
                    format!(
                        "{name}: key point {n} (\"{}\") is not stated by the model answer (a phrase may be missing, negated or only in the question)",
                        p.text
                    ),
                ));
            }
            if let Some(covers) = &strong_covers
                && !covers.contains(&i)
            {
                d.push(Diagnostic::warning(
                    at.clone(),
                    format!(
                        "{name}: key point {n} (\"{}\") is not stated by the strong evaluation answer: add the phrase it used",
                        p.text
                    ),
                ));
            }
        }
    }
    d
}

/// Whether a text is a bare list of terms (exposed for the evaluation tools).
pub fn is_term_list(text: &str) -> bool {
    Reading::new(text).is_term_list()
}

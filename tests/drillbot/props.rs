//! Properties over arbitrary input: the parser, the normaliser and the engine never panic.

use drillbot::command::parse;
use drillbot::grading::normalize::normalize;
use proptest::prelude::*;

use crate::harness::TestBot;

proptest! {
    #[test]
    fn the_command_parser_accepts_any_text(text in any::<String>()) {
        let _ = parse(&text);
        let _ = parse(&format!("/{text}"));
        let _ = parse(&format!("/settings {text}"));
    }

    #[test]
    fn normalisation_never_panics_and_is_idempotent(text in any::<String>()) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once.text), once.clone());
        prop_assert!(!once.text.starts_with(' ') && !once.text.ends_with(' '));
    }

    #[test]
    fn phrase_matching_never_panics(text in any::<String>(), phrase in any::<String>()) {
        let _ = normalize(&text).contains_phrase(&normalize(&phrase));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_engine_answers_any_command_without_panicking(
        cmd in prop::sample::select(vec!["/answer", "/settings", "/stats", "/rate", "/leaderboard", "/clock", "/today", "/reveal", "/skip"]),
        arg in any::<String>(),
    ) {
        let bot = TestBot::new();
        bot.say("alice", "/today");
        let _ = bot.say("alice", &format!("{cmd} {arg}"));
        let _ = bot.admin(&format!("{cmd} {arg}"));
    }
}

//! The slash commands, with poise. Each command is thin: it turns its options back into the command text
//! every platform shares (`/answer ...`, `/settings post 08:30`) and lets [`Handler::run`] do the rest, so the
//! engine's parser and validation are the only ones. Descriptions come from `src/i18n` (English, with
//! Chinese localisations) and are filled in by [`all`].

use std::sync::Arc;

use poise::serenity_prelude as serenity;

use super::interactions::{Handler, Interaction};
use crate::command::CommandName;
use crate::i18n::Lang;

/// What every command can reach.
pub struct Data {
    /// Runs commands through the engine and answers interactions.
    pub handler: Arc<Handler>,
}

/// The error type of the commands (they report their own errors to the member, so this is rare).
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// poise's context with our data.
pub type Context<'a> = poise::Context<'a, Data, Error>;

async fn run(ctx: Context<'_>, text: String) -> Result<(), Error> {
    if let poise::Context::Application(app) = ctx {
        ctx.data()
            .handler
            .run(ctx.http(), Interaction::Command(app.interaction), text)
            .await;
    }
    Ok(())
}

/// Today's question.
#[poise::command(slash_command, guild_only)]
pub async fn today(ctx: Context<'_>) -> Result<(), Error> {
    run(ctx, "/today".into()).await
}

/// Answer today's question (sealed until the reveal).
#[poise::command(slash_command, guild_only)]
pub async fn answer(ctx: Context<'_>, #[max_length = 4000] text: String) -> Result<(), Error> {
    run(ctx, format!("/answer {text}")).await
}

/// Whose reveal.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum RevealFor {
    /// Only me, now.
    #[name = "me"]
    Me,
    /// Everyone (admins).
    #[name = "everyone"]
    Everyone,
}

/// See the model answer.
#[poise::command(slash_command, guild_only)]
pub async fn reveal(ctx: Context<'_>, who: Option<RevealFor>) -> Result<(), Error> {
    let text = match who {
        Some(RevealFor::Me) => "/reveal me",
        Some(RevealFor::Everyone) | None => "/reveal",
    };
    run(ctx, text.into()).await
}

/// A self-rating.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum RatingChoice {
    /// Forgot it.
    #[name = "again"]
    Again,
    /// Hard.
    #[name = "hard"]
    Hard,
    /// Good.
    #[name = "good"]
    Good,
    /// Easy.
    #[name = "easy"]
    Easy,
}

/// Rate yourself after the reveal.
#[poise::command(slash_command, guild_only)]
pub async fn rate(ctx: Context<'_>, rating: RatingChoice) -> Result<(), Error> {
    let word = match rating {
        RatingChoice::Again => "again",
        RatingChoice::Hard => "hard",
        RatingChoice::Good => "good",
        RatingChoice::Easy => "easy",
    };
    run(ctx, format!("/rate {word}")).await
}

/// A leaderboard period.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum PeriodChoice {
    /// This week.
    #[name = "week"]
    Week,
    /// This month.
    #[name = "month"]
    Month,
    /// All time.
    #[name = "all"]
    All,
}

/// The leaderboard.
#[poise::command(slash_command, guild_only)]
pub async fn leaderboard(ctx: Context<'_>, period: Option<PeriodChoice>) -> Result<(), Error> {
    let text = match period {
        None => "/leaderboard",
        Some(PeriodChoice::Week) => "/leaderboard week",
        Some(PeriodChoice::Month) => "/leaderboard month",
        Some(PeriodChoice::All) => "/leaderboard all",
    };
    run(ctx, text.into()).await
}

/// Scores and streaks.
#[poise::command(slash_command, guild_only)]
pub async fn stats(ctx: Context<'_>, user: Option<serenity::UserId>) -> Result<(), Error> {
    let text = match user {
        Some(u) => format!("/stats {}", u.get()),
        None => "/stats".into(),
    };
    run(ctx, text).await
}

/// Topics in the bank.
#[poise::command(slash_command, guild_only)]
pub async fn topics(ctx: Context<'_>) -> Result<(), Error> {
    run(ctx, "/topics".into()).await
}

/// How to use the bot.
#[poise::command(slash_command, guild_only)]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    run(ctx, "/help".into()).await
}

/// Replace today's question (admins).
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn skip(ctx: Context<'_>) -> Result<(), Error> {
    run(ctx, "/skip".into()).await
}

/// The server's settings (admins).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "show",
        "channel",
        "post",
        "reveal_time",
        "timezone",
        "topics_filter",
        "difficulty",
        "lang",
        "answers",
        "schedule",
        "days",
        "threads"
    ),
    subcommand_required
)]
pub async fn settings(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Show the settings.
#[poise::command(slash_command, guild_only)]
pub async fn show(ctx: Context<'_>) -> Result<(), Error> {
    run(ctx, "/settings".into()).await
}

/// Channel for the daily question (starts the schedule).
#[poise::command(slash_command, guild_only)]
pub async fn channel(
    ctx: Context<'_>,
    #[channel_types("Text")] channel: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    let channel = channel.unwrap_or(ctx.channel_id());
    run(ctx, format!("/settings channel <#{}>", channel.get())).await
}

/// Time of the daily question.
#[poise::command(slash_command, guild_only)]
pub async fn post(ctx: Context<'_>, time: String) -> Result<(), Error> {
    run(ctx, format!("/settings post {time}")).await
}

/// Time of the reveal.
#[poise::command(slash_command, guild_only, rename = "reveal")]
pub async fn reveal_time(ctx: Context<'_>, time: String) -> Result<(), Error> {
    run(ctx, format!("/settings reveal {time}")).await
}

/// Time zone.
#[poise::command(slash_command, guild_only, rename = "tz")]
pub async fn timezone(ctx: Context<'_>, zone: String) -> Result<(), Error> {
    run(ctx, format!("/settings tz {zone}")).await
}

/// Topics to draw from.
#[poise::command(slash_command, guild_only, rename = "topics")]
pub async fn topics_filter(ctx: Context<'_>, topics: String) -> Result<(), Error> {
    run(ctx, format!("/settings topics {topics}")).await
}

/// Difficulty range.
#[poise::command(slash_command, guild_only)]
pub async fn difficulty(ctx: Context<'_>, range: String) -> Result<(), Error> {
    run(ctx, format!("/settings difficulty {range}")).await
}

/// An interface language.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum LangChoice {
    /// Chinese.
    #[name = "zh"]
    Zh,
    /// English.
    #[name = "en"]
    En,
}

/// Interface language.
#[poise::command(slash_command, guild_only)]
pub async fn lang(ctx: Context<'_>, language: LangChoice) -> Result<(), Error> {
    let code = match language {
        LangChoice::Zh => "zh",
        LangChoice::En => "en",
    };
    run(ctx, format!("/settings lang {code}")).await
}

/// Show or hide.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ShowHide {
    /// Show.
    #[name = "show"]
    Show,
    /// Hide.
    #[name = "hide"]
    Hide,
}

/// Show answers at the reveal.
#[poise::command(slash_command, guild_only)]
pub async fn answers(ctx: Context<'_>, mode: ShowHide) -> Result<(), Error> {
    let word = match mode {
        ShowHide::Show => "show",
        ShowHide::Hide => "hide",
    };
    run(ctx, format!("/settings answers {word}")).await
}

/// On or off.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum OnOff {
    /// On.
    #[name = "on"]
    On,
    /// Off.
    #[name = "off"]
    Off,
}

/// Start or pause the daily schedule.
#[poise::command(slash_command, guild_only)]
pub async fn schedule(ctx: Context<'_>, state: OnOff) -> Result<(), Error> {
    let word = match state {
        OnOff::On => "on",
        OnOff::Off => "off",
    };
    run(ctx, format!("/settings {word}")).await
}

/// A discussion thread under each reveal.
#[poise::command(slash_command, guild_only)]
pub async fn threads(ctx: Context<'_>, state: OnOff) -> Result<(), Error> {
    let word = match state {
        OnOff::On => "on",
        OnOff::Off => "off",
    };
    run(ctx, format!("/settings threads {word}")).await
}

/// Days of the week with a question.
#[poise::command(slash_command, guild_only)]
pub async fn days(ctx: Context<'_>, days: String) -> Result<(), Error> {
    run(ctx, format!("/settings days {days}")).await
}

/// Chinese descriptions: Simplified for `zh-CN`, the same text in Traditional characters for `zh-TW`.
fn localise(map: &mut std::collections::HashMap<String, String>, zh: &str) {
    map.insert("zh-CN".into(), clip(zh));
    map.insert(
        "zh-TW".into(),
        clip(&super::traditional::to_traditional(zh)),
    );
}

fn describe(cmd: &mut poise::Command<Data, Error>, path: &str) {
    let path = if path.is_empty() {
        cmd.name.clone()
    } else {
        format!("{path} {}", cmd.name)
    };
    let summary = |lang: Lang| {
        CommandName::ALL
            .iter()
            .find(|c| c.word() == path)
            .map(|c| lang.command_summary(*c).to_string())
            .or_else(|| super::strings::description(lang, &path).map(str::to_string))
    };
    if let Some(en) = summary(Lang::En) {
        cmd.description = Some(clip(&en));
    }
    if let Some(zh) = summary(Lang::Zh) {
        localise(&mut cmd.description_localizations, &zh);
    }
    for p in &mut cmd.parameters {
        let key = format!("{path}.{}", p.name);
        if let Some(en) = super::strings::description(Lang::En, &key) {
            p.description = Some(clip(en));
        }
        if let Some(zh) = super::strings::description(Lang::Zh, &key) {
            localise(&mut p.description_localizations, zh);
        }
        for c in &mut p.choices {
            if let Some(zh) = super::strings::description(Lang::Zh, &format!("choice.{}", c.name)) {
                localise(&mut c.localizations, zh);
            }
        }
    }
    for sub in &mut cmd.subcommands {
        describe(sub, &path);
    }
}

/// Discord's limit on descriptions.
fn clip(s: &str) -> String {
    s.chars().take(100).collect()
}

/// Every slash command, described in English with Chinese localisations.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    let mut commands = vec![
        today(),
        answer(),
        reveal(),
        rate(),
        leaderboard(),
        stats(),
        topics(),
        help(),
        settings(),
        skip(),
    ];
    for c in &mut commands {
        describe(c, "");
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Simplified description for `zh-CN`, the same text in Traditional characters for `zh-TW`.
    fn check_zh(map: &std::collections::HashMap<String, String>, what: &str) {
        let (Some(cn), Some(tw)) = (map.get("zh-CN"), map.get("zh-TW")) else {
            panic!("{what} has no Chinese description: {map:?}");
        };
        assert_eq!(&fast2s::convert(tw), cn, "{what}: the same text");
        let unchosen = super::super::traditional::unchosen(cn);
        assert!(
            unchosen.is_empty(),
            "{what}: choose the traditional form of {unchosen:?} in traditional.rs"
        );
    }

    #[test]
    fn every_command_and_option_has_an_english_and_a_chinese_description() {
        fn check(cmd: &poise::Command<Data, Error>) {
            let d = cmd.description.as_deref().unwrap_or("");
            assert!(
                !d.is_empty() && d.chars().count() <= 100,
                "{}: {d:?}",
                cmd.qualified_name
            );
            check_zh(&cmd.description_localizations, &cmd.qualified_name);
            for p in &cmd.parameters {
                assert!(
                    p.description.as_deref().is_some_and(|d| !d.is_empty()),
                    "{} {}",
                    cmd.qualified_name,
                    p.name
                );
                check_zh(
                    &p.description_localizations,
                    &format!("{} {}", cmd.qualified_name, p.name),
                );
                for c in &p.choices {
                    check_zh(&c.localizations, &format!("{} {}", p.name, c.name));
                }
            }
            cmd.subcommands.iter().for_each(check);
        }
        let commands = all();
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
        for c in CommandName::ALL {
            assert!(
                names.contains(&c.word()),
                "no slash command for /{}",
                c.word()
            );
        }
        commands.iter().for_each(check);
    }
}

//! Read-mostly commands: leaderboards, statistics, topics and settings.

use std::collections::BTreeMap;

use super::{Ctx, Engine, Failure, Handled};
use crate::command::{Period, SettingsCommand};
use crate::i18n::{BoardLine, BoardView, Msg, SettingsView, StatsView, TopicLine, TopicStat};
use crate::message::{Platform, ReplyKind};
use crate::schedule;
use crate::store::{BoardRow, ChatRow, ChatSettings};

/// How many lines a leaderboard shows before the caller's own line.
const BOARD_TOP: usize = 10;

/// Ranks board rows (already sorted best first): equal points share a rank ("1, 2, 2, 4").
pub fn rank(rows: &[BoardRow]) -> Vec<usize> {
    let mut ranks = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let rank = if i > 0 && rows[i - 1].points == r.points {
            ranks[i - 1]
        } else {
            i + 1
        };
        ranks.push(rank);
    }
    ranks
}

fn settings_view(s: &ChatSettings, platform: Platform) -> SettingsView {
    SettingsView {
        post_time: s.post_time.format("%H:%M").to_string(),
        reveal_time: s.reveal_time.format("%H:%M").to_string(),
        timezone: s.timezone.name().to_string(),
        topics: s.topics.clone(),
        difficulty: s.difficulty,
        lang: s.language,
        show_answers: s.show_answers,
        post_days: s.post_days.to_string(),
        scheduled: s.scheduled,
        channel: s
            .channel
            .filter(|_| platform.needs_channel())
            .map(|c| c.to_string()),
        threads: s.threads,
        forum_topic: s
            .channel
            .filter(|_| platform.has_forum_topics())
            .map(|c| c.0),
    }
}

impl Engine {
    /// `/leaderboard [week|month|all]`: the top ten, plus the caller's own line when outside it.
    pub(super) fn leaderboard(&self, ctx: &Ctx<'_>, period: Period) -> Handled {
        let today = schedule::local_date(ctx.now, ctx.chat.settings.timezone);
        let rows = self.store.leaderboard(ctx.chat.id, period, today)?;
        let ranks = rank(&rows);
        let line = |i: usize| BoardLine {
            rank: ranks[i],
            name: rows[i].name.clone(),
            points: rows[i].points,
            answers: rows[i].answers,
            is_caller: rows[i].user_id == ctx.user.id,
        };
        let top: Vec<BoardLine> = (0..rows.len().min(BOARD_TOP)).map(line).collect();
        let caller = rows
            .iter()
            .position(|r| r.user_id == ctx.user.id)
            .filter(|&i| i >= BOARD_TOP)
            .map(line);
        let msg = Msg::Leaderboard(BoardView {
            period,
            top,
            caller,
        });
        Ok(vec![ctx.to_chat(ReplyKind::Info, &msg)])
    }

    /// `/stats [name]`.
    pub(super) fn stats(&self, ctx: &Ctx<'_>, name: Option<&str>) -> Handled {
        let (user_id, user_name) = match name {
            None => (ctx.user.id, ctx.user.name.clone()),
            Some(name) => match self.store.find_member(ctx.chat.id, name)? {
                Some(u) => (u.id, u.name),
                None => return Err(Failure::user(Msg::UnknownUser(name.to_string()))),
            },
        };
        let scores = self.store.member_scores(ctx.chat.id, user_id)?;
        if scores.is_empty() {
            return Ok(vec![
                ctx.to_chat(ReplyKind::Info, &Msg::NoStatsYet(user_name)),
            ]);
        }
        let lang = ctx.lang();
        let mut by_topic: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for s in &scores {
            let topic = self
                .bank
                .get(&s.question_id)
                .map(|q| q.topic.clone())
                .unwrap_or_else(|| "?".into());
            let e = by_topic.entry(topic).or_default();
            e.0 += 1;
            e.1 += s.score as i64;
        }
        let mut topics: Vec<TopicStat> = by_topic
            .into_iter()
            .map(|(key, (n, sum))| TopicStat {
                topic: self.topic_name(&key, lang),
                answered: n,
                average: sum as f64 / n as f64,
            })
            .collect();
        topics.sort_by(|a, b| b.answered.cmp(&a.answered).then(a.topic.cmp(&b.topic)));
        let answered = scores.len() as i64;
        let average = scores.iter().map(|s| s.score as f64).sum::<f64>() / answered as f64;
        let points = scores.iter().map(|s| s.points).sum();
        let (current_streak, best_streak) = match self.store.streak(ctx.chat.id, user_id)? {
            None => (0, 0),
            Some(st) => {
                // The run is alive if the member answered the chat's latest round, or the one before while the
                // latest is still open.
                let recent = self.store.recent_round_dates(ctx.chat.id, 2)?;
                let latest_open = self
                    .store
                    .open_round(ctx.chat.id)?
                    .is_some_and(|r| Some(&r.local_date) == recent.first());
                let alive = recent.first() == Some(&st.last_date)
                    || (latest_open && recent.get(1) == Some(&st.last_date));
                (if alive { st.current } else { 0 }, st.best)
            }
        };
        let msg = Msg::Stats(StatsView {
            name: user_name,
            answered,
            average,
            points,
            current_streak,
            best_streak,
            topics,
        });
        Ok(vec![ctx.to_chat(ReplyKind::Info, &msg)])
    }

    /// The `/topics` message for a chat.
    pub(super) fn topics_msg(&self, chat: &ChatRow) -> Msg {
        let lang = chat.settings.language;
        let lines = self
            .bank
            .topics()
            .iter()
            .map(|t| TopicLine {
                key: t.key.clone(),
                name: self.topic_name(&t.key, lang),
                questions: self
                    .bank
                    .questions()
                    .iter()
                    .filter(|q| q.topic == t.key && !q.draft)
                    .count(),
                selected: chat.settings.topics.is_empty() || chat.settings.topics.contains(&t.key),
            })
            .collect();
        Msg::Topics(lines)
    }

    /// `/settings ...`: anyone may look; only admins change.
    pub(super) fn settings(&self, ctx: &Ctx<'_>, cmd: SettingsCommand) -> Handled {
        match cmd {
            SettingsCommand::Show => {
                let msg = Msg::Settings {
                    view: settings_view(&ctx.chat.settings, ctx.chat.platform),
                    changed: false,
                };
                return Ok(vec![ctx.to_chat(ReplyKind::Info, &msg)]);
            }
            _ if !ctx.msg.is_admin => return Err(Failure::user(Msg::NotAdmin)),
            SettingsCommand::Channel(_) | SettingsCommand::Threads(_)
                if !ctx.chat.platform.needs_channel() =>
            {
                return Err(Failure::user(Msg::ChannelsOnlyOnDiscord));
            }
            SettingsCommand::Here(_) if !ctx.chat.platform.has_forum_topics() => {
                return Err(Failure::user(Msg::TopicsOnlyOnTelegram));
            }
            _ => {}
        }
        // The change applies to the settings as stored now, not as read when the command arrived.
        let s = self
            .store
            .change_settings(ctx.chat.id, ctx.now, |s| self.apply_setting(ctx, s, cmd))?;
        let msg = Msg::Settings {
            view: settings_view(&s, ctx.chat.platform),
            changed: true,
        };
        Ok(vec![crate::message::Reply::to_chat(
            ReplyKind::Confirmation,
            s.language.render(&msg),
        )])
    }

    /// Applies one admin change to a chat's settings, refusing a result that cannot work.
    fn apply_setting(
        &self,
        ctx: &Ctx<'_>,
        s: &mut ChatSettings,
        cmd: SettingsCommand,
    ) -> Result<(), Failure> {
        match cmd {
            SettingsCommand::Show => {}
            SettingsCommand::PostTime(t) => s.post_time = t,
            SettingsCommand::RevealTime(t) => s.reveal_time = t,
            SettingsCommand::TimeZone(tz) => s.timezone = tz,
            SettingsCommand::Topics(None) => s.topics.clear(),
            SettingsCommand::Topics(Some(topics)) => {
                let unknown: Vec<String> = topics
                    .iter()
                    .filter(|t| self.bank.topic(t).is_none())
                    .cloned()
                    .collect();
                if !unknown.is_empty() {
                    let known = self.bank.topics().iter().map(|t| t.key.clone()).collect();
                    return Err(Failure::user(Msg::UnknownTopics { unknown, known }));
                }
                let mut topics = topics;
                topics.dedup();
                s.topics = topics;
            }
            SettingsCommand::Difficulty(lo, hi) => s.difficulty = (lo, hi),
            SettingsCommand::Language(lang) => s.language = lang,
            SettingsCommand::ShowAnswers(on) => s.show_answers = on,
            SettingsCommand::Days(days) => s.post_days = days,
            SettingsCommand::Schedule(on) => {
                if on && ctx.chat.platform.needs_channel() && s.channel.is_none() {
                    return Err(Failure::user(Msg::ChannelFirst));
                }
                s.scheduled = on;
            }
            SettingsCommand::Threads(on) => s.threads = on,
            // Choosing the channel is the one step that starts a Discord server's schedule.
            SettingsCommand::Channel(channel) => {
                s.channel = Some(channel);
                s.scheduled = true;
            }
            // A Telegram group's forum topic is where its posts go, as a Discord server's channel is.
            SettingsCommand::Here(topic) => s.channel = topic,
        }
        if s.post_time == s.reveal_time {
            return Err(Failure::user(Msg::SameTimes));
        }
        if self.bank.eligible(&s.topics, s.difficulty).next().is_none() {
            return Err(Failure::user(Msg::NoQuestions));
        }
        Ok(())
    }
}

//! The daily round: posting, sealed answers, early looks, the reveal, self-ratings and `/skip`.

use chrono::{DateTime, NaiveDate, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::{Ctx, Engine, Failure, Handled, chat_ref};
use crate::bank::Question;
use crate::command::Rating;
use crate::grading::copy::{Shingles, copies_of_earlier};
use crate::grading::normalize::normalize;
use crate::grading::{self, Verdict};
use crate::i18n::{Contradicted, Lang, Msg, QuestionView, ResultLine, RevealView, VerdictView};
use crate::message::{Button, Outgoing, Reply, ReplyKind};
use crate::schedule;
use crate::store::{ChatRow, NewAnswer, RoundRecord, RoundRow, SaveOutcome, Settled, Settlement};

/// Leaderboard points for a credited score: the score weighted by difficulty (at most 30 a round).
pub fn points_for(score: u8, difficulty: u8) -> i64 {
    (score as i64 * difficulty as i64 + 5) / 10
}

impl Engine {
    fn question(&self, round: &RoundRow) -> Result<&Question, Failure> {
        self.bank.get(&round.question_id).ok_or_else(|| {
            Failure::Internal(format!(
                "question {} of round {} is no longer in the bank",
                round.question_id, round.id
            ))
        })
    }

    /// A topic's display name in a language (the key itself for a topic no longer in the bank).
    pub(super) fn topic_name(&self, key: &str, lang: Lang) -> String {
        match (self.bank.topic(key), lang) {
            (Some(t), Lang::Zh) => t.name.clone(),
            (Some(t), Lang::En) => t.name_en.clone(),
            (None, _) => key.to_string(),
        }
    }

    fn question_view(&self, q: &Question, round: &RoundRow, lang: Lang) -> QuestionView {
        QuestionView {
            number: round.number,
            topic: self.topic_name(&q.topic, lang),
            difficulty: q.difficulty,
            question: q.question.clone(),
            choices: q.choices.clone(),
            several: q.correct.len() > 1,
        }
    }

    /// A time in the chat's zone: `HH:MM` today, `MM-DD HH:MM` another day.
    fn local_when(&self, chat: &ChatRow, t: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let tz = chat.settings.timezone;
        let local = t.with_timezone(&tz);
        if local.date_naive() == now.with_timezone(&tz).date_naive() {
            local.format("%H:%M").to_string()
        } else {
            local.format("%m-%d %H:%M").to_string()
        }
    }

    /// Picks the chat's question for a date: never one the chat has seen while unseen ones remain in its
    /// filtered bank (the least-used ones first), chosen with the chat's seeded randomness.
    fn choose_question<'a>(
        &'a self,
        chat: &ChatRow,
        date: NaiveDate,
        exclude: Option<&str>,
    ) -> Result<&'a Question, Failure> {
        let s = &chat.settings;
        let uses = self.store.question_uses(chat.id)?;
        let eligible: Vec<&'a Question> = self
            .bank
            .eligible(&s.topics, s.difficulty)
            .filter(|q| Some(q.id.as_str()) != exclude)
            .collect();
        let use_count = |q: &Question| uses.get(&q.id).copied().unwrap_or(0);
        let Some(least) = eligible.iter().map(|q| use_count(q)).min() else {
            return Err(Failure::user(Msg::NoQuestions));
        };
        let mut pool: Vec<&'a Question> = eligible
            .into_iter()
            .filter(|q| use_count(q) == least)
            .collect();
        // At the start of a new cycle, do not repeat yesterday's question.
        if pool.len() > 1
            && let Some(last) = self.store.latest_round(chat.id)?
        {
            pool.retain(|q| q.id != last.question_id);
        }
        let day = date
            .to_string()
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        let mut rng = StdRng::seed_from_u64(
            (chat.seed as u64) ^ day ^ (uses.values().sum::<u32>() as u64) << 32,
        );
        pool.choose(&mut rng)
            .copied()
            .ok_or(Failure::user(Msg::NoQuestions))
    }

    /// The question post of a round, with its buttons.
    pub(super) fn question_post(
        &self,
        chat: &ChatRow,
        round: &RoundRow,
        now: DateTime<Utc>,
    ) -> Result<Reply, Failure> {
        let q = self.question(round)?;
        let lang = chat.settings.language;
        let msg = Msg::QuestionPost {
            question: self.question_view(q, round, lang),
            reveal_at: self.local_when(chat, round.reveal_at, now),
        };
        let (answer_label, peek_label) = lang.post_button_labels();
        // One button per letter for a single right choice (a press is a sealed, final pick); several right
        // choices are written as letters (`/answer AC`), through the answer button like free text.
        let mut buttons: Vec<Button> = if q.is_choice() && q.correct.len() == 1 {
            q.choices
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    let letter = (b'A' + i as u8) as char;
                    Button {
                        label: letter.to_string(),
                        command: format!("/answer {letter}"),
                    }
                })
                .collect()
        } else {
            vec![Button {
                label: answer_label.to_string(),
                command: "/answer".to_string(),
            }]
        };
        buttons.push(Button {
            label: peek_label.to_string(),
            command: "/reveal me".to_string(),
        });
        Ok(Reply::to_chat(ReplyKind::QuestionPost, lang.render(&msg))
            .with_buttons(buttons)
            .asking_round(round.id))
    }

    /// Makes the scheduled post for a chat if one is due.
    pub(super) fn scheduled_post(
        &self,
        chat: &ChatRow,
        now: DateTime<Utc>,
    ) -> Result<Option<Outgoing>, Failure> {
        let s = &chat.settings;
        if chat.platform.needs_channel() && s.channel.is_none() {
            return Ok(None);
        }
        let today = schedule::local_date(now, s.timezone);
        let has_round = self.store.has_round_on(chat.id, today)?;
        let since = chat.scheduled_since.unwrap_or(DateTime::<Utc>::MIN_UTC);
        let Some(date) = schedule::post_due(s, since, now, has_round) else {
            return Ok(None);
        };
        let q = self.choose_question(chat, date, None)?;
        let reveal_at = schedule::scheduled_reveal(s, date);
        // The post is rendered inside the round's transaction and queued in the outbox with it.
        let mut queued = None;
        let created = self
            .store
            .create_round(chat.id, date, &q.id, now, reveal_at, |round| {
                let reply = self.question_post(chat, round, now).ok()?;
                queued = Some(Outgoing {
                    chat: chat_ref(chat),
                    reply,
                });
                queued.clone()
            })?;
        let Some(round) = created else {
            return Ok(None);
        };
        tracing::info!(chat = chat.id, round = round.id, question = %round.question_id, "posted the question of the day");
        crate::metrics::metrics().round_posted();
        Ok(queued)
    }

    /// `/today`.
    pub(super) fn today(&self, ctx: &Ctx<'_>) -> Handled {
        let chat = &ctx.chat;
        let today = schedule::local_date(ctx.now, chat.settings.timezone);
        if let Some(round) = self.store.live_round_on(chat.id, today)? {
            return Ok(vec![self.question_post(chat, &round, ctx.now)?]);
        }
        let q = self.choose_question(chat, today, None)?;
        let reveal_at = schedule::reveal_for_manual_post(&chat.settings, today, ctx.now);
        let round =
            match self
                .store
                .create_round(chat.id, today, &q.id, ctx.now, reveal_at, |_| None)?
            {
                Some(round) => round,
                // Another caller created today's round a moment ago: show that one.
                None => self
                    .store
                    .live_round_on(chat.id, today)?
                    .ok_or_else(|| Failure::Internal("today's round vanished".into()))?,
            };
        Ok(vec![self.question_post(chat, &round, ctx.now)?])
    }

    /// `/answer <text>`.
    pub(super) fn answer(&self, ctx: &Ctx<'_>, text: &str) -> Handled {
        let len = text.chars().count();
        if len > self.limits.max_answer_chars {
            return Err(Failure::user(Msg::AnswerTooLong {
                max: self.limits.max_answer_chars,
                len,
            }));
        }
        let Some(round) = self.store.open_round(ctx.chat.id)? else {
            return Err(Failure::user(Msg::NoOpenRound));
        };
        let q = self.question(&round)?;
        let grade = if q.is_choice() {
            let Some(picks) = grading::parse_choice(q, text) else {
                let last = (b'A' + q.choices.len() as u8 - 1) as char;
                return Err(Failure::user(Msg::BadChoice { last }));
            };
            grading::grade_choice(q, &picks)
        } else {
            let started = std::time::Instant::now();
            let grade = self.grader.grade(q, text, self.limits.min_answer_chars);
            crate::metrics::metrics().graded(started.elapsed());
            grade
        };
        let outcome = self.store.save_answer(&NewAnswer {
            round_id: round.id,
            chat_id: ctx.chat.id,
            local_date: round.local_date,
            user_id: ctx.user.id,
            body: text,
            score: grade.score,
            covered: &grade.covered,
            verdict: grade.verdict,
            at: ctx.now,
            previous_round_date: self
                .store
                .previous_round_date(ctx.chat.id, round.local_date)?,
            // One answer per member: a multiple-choice pick is final, not a draft to revise.
            final_pick: q.is_choice(),
        })?;
        let (replaced, after_peek) = match outcome {
            SaveOutcome::Saved {
                replaced,
                after_peek,
            } => {
                crate::metrics::metrics().answer_recorded();
                (replaced, after_peek)
            }
            SaveOutcome::RoundClosed => return Err(Failure::user(Msg::NoOpenRound)),
            SaveOutcome::AlreadyAnswered { earlier } => {
                return Err(Failure::user(Msg::ChoiceFinal { chosen: earlier }));
            }
        };
        let msg = Msg::AnswerRecorded {
            replaced,
            reveal_at: self.local_when(&ctx.chat, round.reveal_at, ctx.now),
            after_peek,
        };
        Ok(vec![ctx.to_user(ReplyKind::Confirmation, &msg)])
    }

    fn personal_reveal_msg(
        &self,
        chat: &ChatRow,
        round: &RoundRow,
        round_open: bool,
    ) -> Result<Msg, Failure> {
        let q = self.question(round)?;
        Ok(Msg::PersonalReveal {
            question: self.question_view(q, round, chat.settings.language),
            answer: q.answer.clone(),
            correct: q.correct_letters(),
            points: q.points.iter().map(|p| p.text.clone()).collect(),
            round_open,
        })
    }

    fn rating_buttons(lang: Lang) -> Vec<Button> {
        Rating::ALL
            .iter()
            .map(|r| Button {
                label: lang.rating_label(*r).to_string(),
                command: format!("/rate {}", r.word()),
            })
            .collect()
    }

    /// `/reveal` for oneself: the model answer privately; later answers to this round score nothing.
    pub(super) fn personal_reveal(&self, ctx: &Ctx<'_>) -> Handled {
        let (round, open) = match self.store.open_round(ctx.chat.id)? {
            Some(round) => (round, true),
            None => match self.store.latest_revealed_round(ctx.chat.id)? {
                Some(round) => (round, false),
                None => return Err(Failure::user(Msg::NoOpenRound)),
            },
        };
        if open {
            self.store.record_peek(round.id, ctx.user.id, ctx.now)?;
        }
        let msg = self.personal_reveal_msg(&ctx.chat, &round, open)?;
        Ok(vec![
            ctx.to_user(ReplyKind::PersonalReveal, &msg)
                .with_buttons(Self::rating_buttons(ctx.lang())),
        ])
    }

    /// `/reveal` by an admin in a group: reveals the open round for everyone now.
    pub(super) fn chat_reveal(&self, ctx: &Ctx<'_>) -> Handled {
        let Some(round) = self.store.open_round(ctx.chat.id)? else {
            return Err(Failure::user(Msg::NoOpenRound));
        };
        match self.reveal_round(&ctx.chat, &round, ctx.now, false)? {
            Some(reply) => Ok(vec![reply]),
            None => Err(Failure::user(Msg::NoOpenRound)),
        }
    }

    /// Settles and reveals a round: final verdicts (an answer copying an earlier member's answer earns
    /// nothing), points, totals, and the results message, all decided inside the store's settling transaction
    /// so that no answer saved meanwhile is left out. `None` if it was already revealed.
    pub(super) fn reveal_round(
        &self,
        chat: &ChatRow,
        round: &RoundRow,
        now: DateTime<Utc>,
        queue: bool,
    ) -> Result<Option<Reply>, Failure> {
        let q = self.question(round)?;
        let revealed = self.store.settle_round(round.id, now, |record| {
            let settlement = self.settle(q, record);
            let reply = self.reveal_post(chat, round, q, record, &settlement.results);
            // A scheduled reveal is queued in the outbox in the settling transaction; an admin's goes back as a
            // reply.
            let announce = queue.then(|| Outgoing {
                chat: chat_ref(chat),
                reply: reply.clone(),
            });
            let answers = record.answers.len();
            (
                Settlement {
                    announce,
                    ..settlement
                },
                (reply, answers),
            )
        })?;
        let Some((reply, answers)) = revealed else {
            return Ok(None);
        };
        tracing::info!(chat = chat.id, round = round.id, answers, "revealed");
        crate::metrics::metrics().round_revealed();
        Ok(Some(reply))
    }

    /// Every answer's final result: an answer copying an earlier member's answer earns nothing.
    fn settle(&self, q: &Question, record: &RoundRecord) -> Settlement {
        let shingles: Vec<Shingles> = record
            .answers
            .iter()
            .map(|a| Shingles::of(&normalize(&a.body)))
            .collect();
        let copies = copies_of_earlier(&shingles);
        let results = record
            .answers
            .iter()
            .zip(copies)
            .map(|(a, copied)| {
                let mut verdict = a.verdict;
                if verdict == Verdict::Graded && copied {
                    verdict = Verdict::CopiedMember;
                }
                let score = if verdict.earns_credit() { a.score } else { 0 };
                Settled {
                    answer_id: a.id,
                    user_id: a.user_id,
                    verdict,
                    score,
                    points: points_for(score, q.difficulty),
                }
            })
            .collect();
        Settlement {
            results,
            announce: None,
        }
    }

    /// The reveal post: the model answer, the key points and each member's result.
    fn reveal_post(
        &self,
        chat: &ChatRow,
        round: &RoundRow,
        q: &Question,
        record: &RoundRecord,
        settled: &[Settled],
    ) -> Reply {
        let lang = chat.settings.language;
        let mut results: Vec<ResultLine> = record
            .answers
            .iter()
            .zip(settled)
            .map(|(a, s)| {
                let (covered, missed) = if q.is_choice() {
                    (Vec::new(), Vec::new())
                } else {
                    q.points
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (a.covered.contains(&i), p.text.clone()))
                        .fold((Vec::new(), Vec::new()), |(mut c, mut m), (hit, text)| {
                            if hit {
                                c.push(text)
                            } else {
                                m.push(text)
                            }
                            (c, m)
                        })
                };
                // The grader is deterministic: grading the text again names the myths it stated and
                // the cap that held its score down.
                let regrade = (!q.is_choice() && s.verdict == Verdict::Graded)
                    .then(|| self.grader.grade(q, &a.body, self.limits.min_answer_chars));
                let cap = regrade.as_ref().and_then(|g| g.cap);
                let contradicted = match regrade {
                    None => Vec::new(),
                    Some(g) => g
                        .contradicted
                        .into_iter()
                        .map(|c| Contradicted {
                            said: c.said.replace('&', "……"),
                            denied: c.denied,
                            point: q.points[c.point].text.clone(),
                        })
                        .collect(),
                };
                ResultLine {
                    contradicted,
                    cap,
                    name: a.user_name.clone(),
                    score: s.score,
                    points: s.points,
                    verdict: verdict_view(s.verdict),
                    covered,
                    missed,
                    answer: chat.settings.show_answers.then(|| a.body.clone()),
                }
            })
            .collect();
        // Best first; equal scores keep submission order.
        results.sort_by_key(|r| std::cmp::Reverse(r.score));
        let peeked_only = record
            .peekers
            .iter()
            .filter(|(id, _)| !record.answers.iter().any(|a| a.user_id == *id))
            .map(|(_, name)| name.clone())
            .collect();
        let view = RevealView {
            question: self.question_view(q, round, lang),
            answer: q.answer.clone(),
            correct: q.correct_letters(),
            points: q.points.iter().map(|p| p.text.clone()).collect(),
            results,
            peeked_only,
        };
        Reply::to_chat(ReplyKind::Reveal, lang.render(&Msg::Reveal(view)))
            .with_buttons(Self::rating_buttons(lang))
            .closing_round(round.id)
    }

    /// `/rate`: records a self-rating for the latest round the member has seen the answer of.
    pub(super) fn rate(&self, ctx: &Ctx<'_>, rating: Rating) -> Handled {
        let peeked_open = match self.store.open_round(ctx.chat.id)? {
            Some(r) if self.store.has_peeked(r.id, ctx.user.id)? => Some(r),
            _ => None,
        };
        let round = match peeked_open {
            Some(r) => r,
            None => self
                .store
                .latest_revealed_round(ctx.chat.id)?
                .ok_or(Failure::user(Msg::RateTooEarly))?,
        };
        let score = self
            .store
            .answer_of(round.id, ctx.user.id)?
            .map(|a| a.score);
        self.store.record_rating(
            ctx.user.id,
            &round.question_id,
            round.id,
            rating,
            score,
            ctx.now,
        )?;
        Ok(vec![
            ctx.to_user(ReplyKind::Confirmation, &Msg::Rated { rating }),
        ])
    }

    /// `/skip`: an admin replaces today's open question with another.
    pub(super) fn skip(&self, ctx: &Ctx<'_>) -> Handled {
        if !ctx.msg.is_admin {
            return Err(Failure::user(Msg::NotAdmin));
        }
        let chat = &ctx.chat;
        let today = schedule::local_date(ctx.now, chat.settings.timezone);
        let round = match self.store.live_round_on(chat.id, today)? {
            Some(r) if r.revealed_at.is_none() => r,
            _ => return Err(Failure::user(Msg::NothingToSkip)),
        };
        let q = self.choose_question(chat, today, Some(&round.question_id))?;
        let Some(new) = self
            .store
            .skip_round(&round, &q.id, ctx.now, round.reveal_at)?
        else {
            return Err(Failure::user(Msg::NothingToSkip));
        };
        Ok(vec![
            // It concludes the skipped round: a platform closes what belongs to it (Telegram's poll).
            ctx.to_chat(
                ReplyKind::Info,
                &Msg::Skipped {
                    number: round.number,
                },
            )
            .closing_round(round.id),
            self.question_post(chat, &new, ctx.now)?,
        ])
    }
}

fn verdict_view(v: Verdict) -> VerdictView {
    match v {
        Verdict::Graded => VerdictView::Graded,
        Verdict::TooShort => VerdictView::TooShort,
        Verdict::CopiedModel => VerdictView::CopiedModel,
        Verdict::OffTopic => VerdictView::OffTopic,
        Verdict::CopiedMember => VerdictView::CopiedMember,
        Verdict::AfterPeek => VerdictView::AfterPeek,
        Verdict::ChoiceRight => VerdictView::ChoiceRight,
        Verdict::ChoiceWrong => VerdictView::ChoiceWrong,
    }
}

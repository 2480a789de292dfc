//! The console adapter: a local group chat in the terminal, with simulated members and a clock you move.
//!
//! It feeds the engine exactly what a chat adapter would (an [`Incoming`] per line, `tick` as time passes)
//! and prints the replies. Console-only commands: `/as NAME [--member|--admin]`, `/clock +2h|+1d|DATE`,
//! `/quit`. Lines starting with `#` are comments, so scripts can explain themselves.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};

use crate::engine::Engine;
use crate::i18n::{Lang, Msg};
use crate::message::{Audience, ChatRef, Incoming, Platform, Reply, UserRef};

/// The console chat's id.
pub const CHAT_ID: &str = "console";

/// A console session.
pub struct Console<'a> {
    engine: &'a Engine,
    chat: ChatRef,
    now: DateTime<Utc>,
    speaker: String,
    admins: HashMap<String, bool>,
}

/// What a line asked the console to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// Leave.
    Quit,
}

impl<'a> Console<'a> {
    /// A console on `engine` whose clock starts at `start`, speaking as `first_user` (an admin).
    pub fn new(engine: &'a Engine, start: DateTime<Utc>, first_user: &str) -> Console<'a> {
        let speaker = first_user.to_string();
        let mut admins = HashMap::new();
        admins.insert(speaker.clone(), true);
        Console {
            engine,
            chat: ChatRef {
                platform: Platform::Console,
                id: CHAT_ID.to_string(),
            },
            now: start,
            speaker,
            admins,
        }
    }

    /// The console's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Who is speaking.
    pub fn speaker(&self) -> &str {
        &self.speaker
    }

    fn lang(&self) -> Lang {
        self.engine.chat_language(&self.chat)
    }

    /// Introduces the bot (the console chat's schedule is on from the start) and runs the schedule once.
    pub fn start(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self.engine.introduce(&self.chat, false, true, self.now) {
            Ok(reply) => self.print(out, &reply)?,
            Err(e) => writeln!(out, "{}", self.lang().render(&Msg::Internal)).and_then(|_| {
                tracing::error!(error = %e, "cannot create the console chat");
                Ok(())
            })?,
        }
        self.print_clock(out)?;
        writeln!(out, "{}", self.lang().render(&Msg::ConsoleHelp))?;
        self.tick(out)
    }

    /// Handles one typed line.
    pub fn line(&mut self, line: &str, out: &mut dyn Write) -> io::Result<Flow> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(Flow::Continue);
        }
        let mut words = line.split_whitespace();
        let head = words.next().unwrap_or("").to_lowercase();
        let rest: Vec<&str> = words.collect();
        match head.as_str() {
            "/quit" | "/exit" | "/q" => return Ok(Flow::Quit),
            "/as" => self.switch(&rest, out)?,
            "/clock" | "/time" => self.clock(&rest.join(" "), out)?,
            _ if !line.starts_with('/') => {
                writeln!(out, "{}", self.lang().render(&Msg::ConsolePlainText))?;
            }
            _ => {
                let msg = Incoming {
                    chat: self.chat.clone(),
                    user: self.user_ref(&self.speaker),
                    display_name: self.speaker.clone(),
                    text: line.to_string(),
                    is_admin: self.admins.get(&self.speaker).copied().unwrap_or(false),
                    is_private: false,
                };
                for reply in self.engine.handle(&msg, self.now) {
                    self.print(out, &reply)?;
                }
                if head == "/help" {
                    writeln!(out, "{}", self.lang().render(&Msg::ConsoleHelp))?;
                }
            }
        }
        Ok(Flow::Continue)
    }

    fn user_ref(&self, name: &str) -> UserRef {
        UserRef {
            platform: Platform::Console,
            id: name.to_lowercase(),
        }
    }

    fn switch(&mut self, args: &[&str], out: &mut dyn Write) -> io::Result<()> {
        let mut names = Vec::new();
        let mut role = None;
        let mut bad_flag = false;
        for a in args {
            match *a {
                "--member" | "-m" => role = Some(false),
                "--admin" | "-a" => role = Some(true),
                a if a.starts_with('-') => bad_flag = true,
                a => names.push(a),
            }
        }
        let [name] = names.as_slice() else {
            return writeln!(out, "{}", self.lang().render(&Msg::ConsoleBadAs));
        };
        if bad_flag {
            return writeln!(out, "{}", self.lang().render(&Msg::ConsoleBadAs));
        }
        let name = *name;
        let admin = role.unwrap_or_else(|| self.admins.get(name).copied().unwrap_or(false));
        self.admins.insert(name.to_string(), admin);
        self.speaker = name.to_string();
        writeln!(
            out,
            "{}",
            self.lang().render(&Msg::ConsoleAs {
                name: name.to_string(),
                admin
            })
        )
    }

    fn clock(&mut self, arg: &str, out: &mut dyn Write) -> io::Result<()> {
        if arg.is_empty() {
            return self.print_clock(out);
        }
        let tz = self
            .engine
            .chat_row(&self.chat)
            .ok()
            .flatten()
            .map(|c| c.settings.timezone)
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let Some(target) = parse_clock(arg, self.now, tz) else {
            return writeln!(
                out,
                "{}",
                self.lang().render(&Msg::ConsoleBadClock(arg.to_string()))
            );
        };
        if (target - self.now).abs() > chrono::Duration::days(MAX_CLOCK_DAYS) {
            let msg = Msg::ConsoleClockTooFar {
                max_days: MAX_CLOCK_DAYS,
            };
            return writeln!(out, "{}", self.lang().render(&msg));
        }
        // Step through every scheduled event on the way, as a real bot would live through them.
        while let Some(next) = self.engine.next_event_after(self.now) {
            if next > target {
                break;
            }
            self.now = next;
            self.tick(out)?;
        }
        self.now = target;
        self.print_clock(out)?;
        self.tick(out)
    }

    /// Runs the schedule, then delivers the console's queued messages from the outbox, as a platform worker
    /// would: print, then confirm.
    fn tick(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.engine.tick(self.now);
        let store = self.engine.store();
        let items = match store.claim_due(Platform::Console, self.now, 1000) {
            Ok(items) => items,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox");
                return Ok(());
            }
        };
        for item in items {
            self.print(out, &item.outgoing.reply)?;
            if let Err(e) = store.mark_sent(item.id, self.now) {
                tracing::error!(error = %e, "cannot confirm a console delivery");
            }
        }
        Ok(())
    }

    fn print_clock(&self, out: &mut dyn Write) -> io::Result<()> {
        let tz = self
            .engine
            .chat_row(&self.chat)
            .ok()
            .flatten()
            .map(|c| c.settings.timezone)
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let local = self
            .now
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M (%a)")
            .to_string();
        let msg = Msg::ConsoleClock {
            local,
            timezone: tz.name().to_string(),
        };
        writeln!(out, "{}", self.lang().render(&msg))
    }

    fn print(&self, out: &mut dyn Write, reply: &Reply) -> io::Result<()> {
        let lang = self.lang();
        let label = match &reply.audience {
            Audience::Chat => lang.console_label(None),
            Audience::User(u) => lang.console_label(Some(&u.id)),
        };
        writeln!(out, "{label}")?;
        for l in crate::markup::unescape(&reply.text).lines() {
            writeln!(out, "  {l}")?;
        }
        if !reply.buttons.is_empty() {
            let buttons: Vec<String> = reply
                .buttons
                .iter()
                .map(|b| format!("[{} → {}]", b.label, b.command))
                .collect();
            writeln!(out, "  {}", buttons.join(" "))?;
        }
        writeln!(out)
    }
}

/// Parses a `/clock` argument: `+2h`, `+30m`, `+1d`, `+1d2h`, or a local `2026-12-01T09:00` / `2026-12-01 09:00`.
pub fn parse_clock(arg: &str, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let arg = arg.trim();
    if let Some(rel) = arg.strip_prefix('+') {
        let mut total = Duration::zero();
        let mut digits = String::new();
        for c in rel.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let n: i64 = digits.parse().ok()?;
            digits.clear();
            total += match c.to_ascii_lowercase() {
                'd' => Duration::try_days(n)?,
                'h' => Duration::try_hours(n)?,
                'm' => Duration::try_minutes(n)?,
                's' => Duration::try_seconds(n)?,
                _ => return None,
            };
        }
        if !digits.is_empty() || total.is_zero() || total > Duration::days(3660) {
            return None;
        }
        return now.checked_add_signed(total);
    }
    let normalized = arg.replace(' ', "T");
    let naive = NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The farthest one `/clock` may move: every post and reveal on the way is lived through, so a year is
/// about 730 steps.
const MAX_CLOCK_DAYS: i64 = 366;

/// Runs a console session over `input` until it ends or `/quit`. With `interactive` false (a script), no
/// prompts are printed; every reply is.
pub fn run(
    engine: &Engine,
    start: DateTime<Utc>,
    first_user: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut console = Console::new(engine, start, first_user);
    console.start(out)?;
    // A line may hold an answer of the longest allowed length in any script (4 bytes a character), plus the
    // command; anything longer is skipped without being held in memory.
    let max = engine.limits().max_answer_chars * 4 + 64;
    let mut number = 0;
    loop {
        number += 1;
        let line = match read_bounded_line(input, max)? {
            Line::End => return Ok(()),
            Line::TooLong => {
                let msg = Msg::ConsoleLineTooLong { line: number, max };
                writeln!(out, "{}", console.lang().render(&msg))?;
                continue;
            }
            Line::Bytes(bytes) => match String::from_utf8(bytes) {
                Ok(line) => line,
                Err(_) => {
                    writeln!(
                        out,
                        "{}",
                        console.lang().render(&Msg::ConsoleNotUtf8(number))
                    )?;
                    continue;
                }
            },
        };
        if console.line(&line, out)? == Flow::Quit {
            return Ok(());
        }
        out.flush()?;
    }
}

enum Line {
    End,
    TooLong,
    Bytes(Vec<u8>),
}

/// Reads one line of at most `max` bytes; a longer one is read to its end and dropped.
fn read_bounded_line(input: &mut dyn BufRead, max: usize) -> io::Result<Line> {
    let mut bytes = Vec::new();
    let mut too_long = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        if !too_long && bytes.len() + n <= max + 1 {
            bytes.extend_from_slice(chunk);
        } else {
            too_long = true;
            bytes.clear();
        }
        input.consume(n);
        if done {
            break;
        }
    }
    Ok(match (too_long, bytes.is_empty()) {
        (true, _) => Line::TooLong,
        (false, true) => Line::End,
        (false, false) => Line::Bytes(bytes),
    })
}

/// Runs an interactive session with line editing and history, prompting with the speaker's name.
pub fn run_interactive(
    engine: &Engine,
    start: DateTime<Utc>,
    first_user: &str,
) -> anyhow::Result<()> {
    let mut console = Console::new(engine, start, first_user);
    let mut out = io::stdout();
    console.start(&mut out)?;
    let mut editor = rustyline::DefaultEditor::new()?;
    loop {
        match editor.readline(&format!("{}> ", console.speaker())) {
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                if console.line(&line, &mut out)? == Flow::Quit {
                    return Ok(());
                }
            }
            Err(
                rustyline::error::ReadlineError::Interrupted | rustyline::error::ReadlineError::Eof,
            ) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_arguments_parse() {
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(parse_clock("+2h", now, tz), Some(now + Duration::hours(2)));
        assert_eq!(
            parse_clock("+1d2h30m", now, tz),
            Some(now + Duration::minutes(26 * 60 + 30))
        );
        assert_eq!(
            parse_clock("2026-12-01T09:00", now, tz),
            Some("2026-12-01T01:00:00Z".parse().unwrap())
        );
        assert_eq!(parse_clock("+2x", now, tz), None);
        assert_eq!(parse_clock("+", now, tz), None);
        assert_eq!(parse_clock("tomorrow", now, tz), None);
    }
}

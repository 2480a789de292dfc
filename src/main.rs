//! The `drillbot` binary: a thin shell over the library. Sets up logging, loads settings, builds the engine
//! and runs the chosen command.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use clap::{Parser, Subcommand};

use drillbot::bank::{self, Bank, Severity};
use drillbot::settings::{self, Settings};
use drillbot::store::Store;
use drillbot::{Engine, console};

#[derive(Parser)]
#[command(
    name = "drillbot",
    version,
    about = "Group interview practice: one question a day, graded answers, scores and streaks."
)]
struct Cli {
    /// Directory with default.toml and local.toml (both optional).
    #[arg(long, global = true, default_value = "config")]
    config_dir: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// A local chat in the terminal with the bundled bank; no token needed.
    Console {
        /// SQLite file (default: database.path from the configuration, ./drillbot.db).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Start the clock at this local time (chat time zone), e.g. 2026-12-01T08:00. Default: now.
        #[arg(long)]
        now: Option<String>,
        /// Name of the first (admin) member.
        #[arg(long = "as", default_value = "host")]
        user: String,
    },
    /// Run the bot: the schedule and every chat platform with a configured token, until SIGINT/SIGTERM.
    Run {
        /// SQLite file (default: database.path from the configuration).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Work with the question bank.
    Bank {
        #[command(subcommand)]
        command: BankCmd,
    },
    /// Work with the database.
    Db {
        #[command(subcommand)]
        command: DbCmd,
    },
}

#[derive(Subcommand)]
enum BankCmd {
    /// Validate bank files and print file:line for every problem (exit 1 on errors).
    Check {
        /// Directory of topic files (default: ./content if present, else the bank built into the binary).
        dir: Option<PathBuf>,
    },
    /// Count questions per topic and difficulty.
    Stats {
        /// Print JSON: {"questions": N, "topics": {...}, "difficulty": {...}}.
        #[arg(long)]
        json: bool,
        /// Directory of topic files (default: the configured bank).
        dir: Option<PathBuf>,
    },
    /// Turn a Markdown or plain-text list of interview questions into a DRAFT topic file to review by hand.
    Import {
        /// The Markdown or text file to import.
        file: PathBuf,
        /// Topic key of the new file: lowercase letters, digits and '-'.
        #[arg(long)]
        topic: String,
        /// Directory to write <TOPIC>.toml into (created if needed).
        #[arg(long)]
        out: PathBuf,
        /// Replace <OUT>/<TOPIC>.toml if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum DbCmd {
    /// Copy the database to a file with SQLite's online backup.
    Backup {
        /// Destination file.
        out: PathBuf,
        /// SQLite file (default: database.path from the configuration).
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("drillbot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(settings: &Settings, quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        settings.log_level.as_str()
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = settings::load(&cli.config_dir)?;
    match cli.command {
        Cmd::Console { db, now, user } => {
            init_tracing(&settings, true);
            let engine = build_engine(&settings, db.as_deref())?;
            let start = match now {
                None => Utc::now(),
                Some(s) => parse_start(&s, settings.chat.timezone)?,
            };
            if io::stdin().is_terminal() {
                console::run_interactive(&engine, start, &user)?;
            } else {
                console::run(
                    &engine,
                    start,
                    &user,
                    &mut io::stdin().lock(),
                    &mut io::stdout().lock(),
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run { db } => {
            init_tracing(&settings, false);
            let engine = std::sync::Arc::new(build_engine(&settings, db.as_deref())?);
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(async {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    shutdown_signal().await;
                    tracing::info!("shutdown signal received: finishing");
                    let _ = stop.send(true);
                });
                drillbot::app::run(std::sync::Arc::clone(&engine), &settings, stopped).await
            })?;
            drop(runtime);
            drop(engine);
            tracing::info!("stopped cleanly; database closed");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bank {
            command: BankCmd::Check { dir },
        } => Ok(bank_check(dir)),
        Cmd::Bank {
            command: BankCmd::Stats { json, dir },
        } => {
            let bank = match dir {
                Some(dir) => Bank::load_dir(&dir)?,
                None => load_bank(&settings)?,
            };
            print_stats(&bank, json);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bank {
            command:
                BankCmd::Import {
                    file,
                    topic,
                    out,
                    force,
                },
        } => bank_import(&file, &topic, &out, force),
        Cmd::Db {
            command: DbCmd::Backup { out, db },
        } => {
            init_tracing(&settings, false);
            let path = db.unwrap_or(settings.database_path.clone());
            let store =
                Store::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            store
                .backup(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("backed up {} to {}", path.display(), out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C still works");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn parse_start(s: &str, tz: chrono_tz::Tz) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(&s.replace(' ', "T"), "%Y-%m-%dT%H:%M")
        .with_context(|| format!("--now \"{s}\": expected a local time like 2026-12-01T08:00"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("--now \"{s}\" does not exist in {}", tz.name()))
}

fn load_bank(settings: &Settings) -> anyhow::Result<Bank> {
    let mut bank = if settings.bank_bundled {
        Bank::bundled()?
    } else {
        Bank::default()
    };
    for dir in &settings.bank_dirs {
        let extra =
            Bank::load_dir(dir).with_context(|| format!("bank directory {}", dir.display()))?;
        bank.merge(extra)?;
    }
    anyhow::ensure!(
        !bank.questions().is_empty(),
        "the question bank is empty (bank.bundled = false and no bank.dirs)"
    );
    Ok(bank)
}

fn build_engine(settings: &Settings, db: Option<&Path>) -> anyhow::Result<Engine> {
    let bank = load_bank(settings)?;
    let path = db.unwrap_or(&settings.database_path);
    let store =
        Store::open(path).with_context(|| format!("cannot open database {}", path.display()))?;
    Ok(Engine::new(
        bank,
        store,
        settings.chat.clone(),
        settings.limits.clone(),
    ))
}

fn bank_check(dir: Option<PathBuf>) -> ExitCode {
    let (bank, diagnostics) = match dir {
        Some(dir) => bank::check_dir(&dir),
        None if Path::new("content").is_dir() => bank::check_dir(Path::new("content")),
        None => bank::check_embedded_bundle(),
    };
    for d in &diagnostics {
        println!("{d}");
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let questions = bank.as_ref().map_or(0, |b| b.questions().len());
    println!("{questions} questions, {errors} errors, {warnings} warnings");
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn bank_import(file: &Path, topic: &str, out: &Path, force: bool) -> anyhow::Result<ExitCode> {
    use drillbot::bank::import;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let source = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (convert it first, e.g. `iconv -f GBK -t UTF-8`)",
            file.display()
        )
    })?;
    let imported = import::import(&source, topic)?;
    let r = &imported.report;
    if imported.questions.is_empty() {
        for s in &r.skipped {
            eprintln!("  skipped {s}");
        }
        anyhow::bail!("no questions found in {}; nothing written", file.display());
    }
    let text = import::render_toml(&imported, &file.display().to_string());
    let path = import::write_topic_file(out, topic, &text, force)?;
    println!(
        "found {} questions in {} (read as {})",
        r.questions,
        file.display(),
        r.style.map_or("-".to_string(), |s| s.to_string())
    );
    println!("  with answers:    {}", r.with_answers);
    println!("  without answers: {}", r.without_answers);
    if r.skipped.is_empty() {
        println!("skipped: nothing");
    } else {
        println!("skipped:");
        for s in &r.skipped {
            println!("  {s}");
        }
    }
    println!(
        "wrote {}: every question is a draft with no key points; review it, then run `drillbot bank check {}`",
        path.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn print_stats(bank: &Bank, json: bool) {
    use std::collections::BTreeMap;
    let live: Vec<_> = bank.questions().iter().filter(|q| !q.draft).collect();
    let mut topics: BTreeMap<&str, usize> = BTreeMap::new();
    let mut difficulty: BTreeMap<u8, usize> = BTreeMap::new();
    for q in &live {
        *topics.entry(q.topic.as_str()).or_default() += 1;
        *difficulty.entry(q.difficulty).or_default() += 1;
    }
    let drafts = bank.questions().len() - live.len();
    if json {
        let v = serde_json::json!({
            "questions": live.len(),
            "drafts": drafts,
            "topics": topics,
            "difficulty": difficulty.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
        });
        println!("{v}");
        return;
    }
    println!("{} questions ({} drafts not counted)", live.len(), drafts);
    for t in bank.topics() {
        let n = topics.get(t.key.as_str()).copied().unwrap_or(0);
        let by_d: Vec<String> = (1..=3)
            .map(|d| {
                live.iter()
                    .filter(|q| q.topic == t.key && q.difficulty == d)
                    .count()
                    .to_string()
            })
            .collect();
        println!(
            "  {:<14} {:>4}   (difficulty 1/2/3: {})  {}",
            t.key,
            n,
            by_d.join("/"),
            t.name
        );
    }
}

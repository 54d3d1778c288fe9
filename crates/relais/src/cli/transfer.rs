//! `relais import` and `relais export`, with a progress bar on the terminal.
use super::core;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use relais_core::export::Format;
use relais_core::import::csv_source::{CsvSource, Target};
use relais_core::import::{self, Event, OnDuplicate, Options, Rejected};
use relais_core::{Actor, Db};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
pub enum ImportKind {
    People,
    Companies,
    Vcard,
}

#[derive(Clone, Copy, ValueEnum, Default)]
pub enum Duplicate {
    #[default]
    Skip,
    Update,
}

#[derive(Args)]
pub struct ImportArgs {
    /// people or companies (CSV), or vcard (people from a .vcf file).
    kind: ImportKind,
    file: PathBuf,
    /// Report what would be created, updated, skipped and rejected, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// What to do with a record that is already in Relais (same e-mail, phone, or name at the same company).
    #[arg(long, value_enum, default_value_t)]
    on_duplicate: Duplicate,
    /// Write the rejected rows, with their reason, to this CSV file.
    #[arg(long)]
    errors: Option<PathBuf>,
    /// Map a column explicitly: --map "Portable=phone.mobile" (repeatable; "=ignore" skips it).
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    map: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportKind {
    People,
    Companies,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Vcard,
}

#[derive(Args)]
pub struct ExportArgs {
    kind: ExportKind,
    #[arg(long, value_enum, default_value = "csv")]
    format: ExportFormat,
    /// File to write (standard output when absent).
    #[arg(long)]
    output: Option<PathBuf>,
}

fn bar(len: Option<u64>, what: &str) -> ProgressBar {
    let pb = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let template = if len.is_some() {
        "{spinner} {msg} [{bar:40}] {percent}% ({pos}/{len} bytes, {eta})"
    } else {
        "{spinner} {msg} {pos}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Collects rejected rows into the `--errors` file (original cells + the reason).
struct Rejects {
    writer: Option<csv::Writer<File>>,
    /// The header row, until it is written (with the first rejected row).
    header: Option<Vec<String>>,
    error: Option<csv::Error>,
}

impl Rejects {
    fn new(path: Option<&Path>, header: Vec<String>) -> Result<Self> {
        let writer = match path {
            Some(p) => Some(csv::Writer::from_writer(
                File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
            )),
            None => None,
        };
        // A vCard source has no columns: its rows are the card number and the reason.
        let what = if header.is_empty() { "card" } else { "line" };
        let mut full = vec![what.to_string(), "reason".to_string()];
        full.extend(header);
        Ok(Rejects {
            writer,
            header: Some(full),
            error: None,
        })
    }

    fn add(&mut self, r: &Rejected) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        let mut result = Ok(());
        if let Some(h) = self.header.take() {
            result = w.write_record(&h);
        }
        let mut row = vec![r.line.to_string(), r.reason.clone()];
        row.extend(
            r.raw
                .iter()
                .map(|c| relais_core::export::neutralise(c).into_owned()),
        );
        result = result.and_then(|_| w.write_record(&row));
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }

    fn finish(self) -> Result<()> {
        if let Some(e) = self.error {
            bail!("cannot write the rejected rows: {e}");
        }
        if let Some(mut w) = self.writer {
            w.flush().context("cannot write the rejected rows")?;
        }
        Ok(())
    }
}

pub async fn import(db: &Db, args: ImportArgs) -> Result<()> {
    let opts = Options {
        dry_run: args.dry_run,
        on_duplicate: match args.on_duplicate {
            Duplicate::Skip => OnDuplicate::Skip,
            Duplicate::Update => OnDuplicate::Update,
        },
    };
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).ok();
    let explicit: Vec<(String, String)> = args
        .map
        .iter()
        .map(|m| {
            m.split_once('=')
                .map(|(h, f)| (h.to_string(), f.to_string()))
                .with_context(|| format!("--map {m}: expected HEADER=FIELD"))
        })
        .collect::<Result<_>>()?;
    let report = match args.kind {
        ImportKind::Vcard => import_vcard(db, file, opts, args.errors.as_deref()).await?,
        kind => {
            let target = if matches!(kind, ImportKind::People) {
                Target::People
            } else {
                Target::Companies
            };
            let mut src =
                CsvSource::open(BufReader::with_capacity(1 << 20, file), target, &explicit)
                    .with_context(|| format!("cannot read {}", args.file.display()))?;
            let ignored = src
                .mapping()
                .ignored()
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>();
            if !ignored.is_empty() {
                eprintln!("columns not imported: {}", ignored.join(", "));
            }
            let mut rejects = Rejects::new(args.errors.as_deref(), src.headers().to_vec())?;
            let pb = bar(
                size,
                if opts.dry_run {
                    "checking"
                } else {
                    "importing"
                },
            );
            let src_cell = std::cell::RefCell::new(&mut src);
            let on = |e: Event<'_>| match e {
                Event::Rejected(r) => rejects.add(r),
                Event::Progress(_) => pb.set_position(src_cell.borrow().bytes_read()),
            };
            let report = if matches!(kind, ImportKind::People) {
                let next = || {
                    let mut s = src_cell.borrow_mut();
                    s.next_person().map(|r| match r {
                        Ok(c) => Ok((c, s.current_raw())),
                        Err(e) => Err(Rejected {
                            line: e.line,
                            reason: e.reason,
                            raw: e.raw,
                        }),
                    })
                };
                import::people(db, &Actor::SYSTEM, opts, next, on).await
            } else {
                let next = || {
                    let mut s = src_cell.borrow_mut();
                    s.next_company().map(|r| match r {
                        Ok(c) => Ok((c, s.current_raw())),
                        Err(e) => Err(Rejected {
                            line: e.line,
                            reason: e.reason,
                            raw: e.raw,
                        }),
                    })
                };
                import::companies(db, &Actor::SYSTEM, opts, next, on).await
            };
            pb.finish_and_clear();
            let report = report.map_err(core)?;
            rejects.finish()?;
            report
        }
    };
    println!("{report}");
    Ok(())
}

async fn import_vcard(
    db: &Db,
    mut file: File,
    opts: Options,
    errors: Option<&Path>,
) -> Result<import::Report> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .context("cannot read the vCard file")?;
    let cards = import::vcard::parse_vcards(&bytes);
    let total = cards.len() as u64;
    let mut cards = cards.into_iter();
    let mut rejects = Rejects::new(errors, vec![])?;
    let pb = bar(
        None,
        if opts.dry_run {
            "checking cards"
        } else {
            "importing cards"
        },
    );
    pb.set_length(total);
    let next = || {
        cards.next().map(|c| match c {
            Ok(contact) => Ok((contact, vec![])),
            Err(e) => Err(Rejected {
                line: e.card,
                reason: e.reason,
                raw: vec![],
            }),
        })
    };
    let on = |e: Event<'_>| match e {
        Event::Rejected(r) => rejects.add(r),
        Event::Progress(n) => pb.set_position(n),
    };
    let report = import::people(db, &Actor::SYSTEM, opts, next, on)
        .await
        .map_err(core);
    pb.finish_and_clear();
    rejects.finish()?;
    report
}

pub async fn export(db: &Db, args: ExportArgs) -> Result<()> {
    let format = match args.format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Vcard => Format::Vcard,
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let pb = if args.output.is_some() {
        bar(None, "exported")
    } else {
        ProgressBar::hidden()
    };
    let progress = |n| pb.set_position(n);
    let count = match args.kind {
        ExportKind::People => {
            relais_core::export::people(db, &Actor::SYSTEM, format, &mut out, progress).await
        }
        ExportKind::Companies => {
            relais_core::export::companies(db, &Actor::SYSTEM, format, &mut out, progress).await
        }
    }
    .map_err(core)?;
    pb.finish_and_clear();
    if let Some(p) = &args.output {
        eprintln!("{count} records written to {}", p.display());
    }
    Ok(())
}

//! `relais import` and `relais export`, with a progress bar on the terminal.
use super::core;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use relais_core::export::Format;
use relais_core::import::file::{self, FileKind};
use relais_core::import::{OnDuplicate, Options};
use relais_core::{Actor, Db};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum, Default)]
pub enum Duplicate {
    #[default]
    Skip,
    Update,
}

#[derive(Args)]
pub struct ImportArgs {
    /// people or companies (CSV), vcard (people from a .vcf file), or another kind of record
    /// (CSV whose columns are named by its fields).
    kind: String,
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
pub enum ExportFormat {
    Csv,
    Vcard,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The kind of record: people, companies, interactions, tasks.
    kind: String,
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

pub async fn import(db: &Db, args: ImportArgs) -> Result<()> {
    let opts = Options {
        dry_run: args.dry_run,
        on_duplicate: match args.on_duplicate {
            Duplicate::Skip => OnDuplicate::Skip,
            Duplicate::Update => OnDuplicate::Update,
        },
        log: None,
    };
    let explicit: Vec<(String, String)> = args
        .map
        .iter()
        .map(|m| {
            m.split_once('=')
                .map(|(h, f)| (h.to_string(), f.to_string()))
                .with_context(|| format!("--map {m}: expected HEADER=FIELD"))
        })
        .collect::<Result<_>>()?;
    let Some(kind) = FileKind::parse(&args.kind) else {
        anyhow::bail!(
            "'{}' is not a kind of file that can be imported ({})",
            args.kind,
            FileKind::names().join(", ")
        );
    };
    File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let cannot_read = |e| anyhow::anyhow!("cannot read {}: {}", args.file.display(), core(e));
    if kind != FileKind::Vcard {
        let preview = file::preview(&args.file, kind, &explicit).map_err(cannot_read)?;
        let ignored = preview.mapping.ignored();
        if !ignored.is_empty() {
            eprintln!("columns not imported: {}", ignored.join(", "));
        }
    }
    let mut rejects = match &args.errors {
        Some(p) => {
            let out = File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
            let headers = file::headers(&args.file, kind).map_err(cannot_read)?;
            Some(file::Rejects::readable(Some(BufWriter::new(out)), headers))
        }
        None => None,
    };
    let what = match (kind, opts.dry_run) {
        (FileKind::Vcard, true) => "checking cards",
        (FileKind::Vcard, false) => "importing cards",
        (_, true) => "checking",
        (_, false) => "importing",
    };
    let pb = bar(None, what);
    let progress = |p: file::Progress| {
        if pb.length() != Some(p.total) {
            pb.set_length(p.total);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {msg} [{bar:40}] {percent}% ({pos}/{len}, {eta})",
            ) {
                pb.set_style(style.progress_chars("=> "));
            }
        }
        pb.set_position(p.done);
    };
    if !opts.dry_run {
        drop(rejects);
        let report = import_as_job(db, &args, kind, &explicit, progress).await;
        pb.finish_and_clear();
        println!("{}", report?);
        return Ok(());
    }
    let job = file::FileImport {
        path: &args.file,
        kind,
        explicit: &explicit,
        opts,
    };
    let report = file::run(db, &Actor::SYSTEM, &job, &mut rejects, progress).await;
    pb.finish_and_clear();
    let report = report.map_err(core)?;
    if let Some(r) = rejects {
        r.finish().map_err(core)?;
    }
    println!("{report}");
    Ok(())
}

/// A real import runs as a durable job, here in this process: written in short batches that
/// block no one, undoable, and, if this process is killed, taken up again (its partial
/// writes undone first) by the next worker: `relais serve`, `relais worker`, or the next
/// `relais import`, which runs any job left due before its own.
async fn import_as_job(
    db: &Db,
    args: &ImportArgs,
    kind: FileKind,
    explicit: &[(String, String)],
    mut progress: impl FnMut(file::Progress),
) -> Result<relais_core::import::Report> {
    use relais_core::import::job::{self as import_job, ImportSettings};
    use relais_core::jobs::{self, Registry, Status, Worker};
    let data = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let settings = ImportSettings {
        file_kind: kind.as_str().into(),
        filename: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        mapping: explicit.to_vec(),
        dry_run: false,
        on_duplicate: match args.on_duplicate {
            Duplicate::Skip => "skip".into(),
            Duplicate::Update => "update".into(),
        },
    };
    let queued = import_job::start(db, &Actor::SYSTEM, &settings, data)
        .await
        .map_err(core)?;
    let worker = Worker::new(db.clone(), Registry::standard());
    let run = async {
        loop {
            let job = jobs::get(db, &Actor::SYSTEM, queued.id).await?;
            if job.status.is_finished() {
                return Ok::<_, relais_core::CoreError>(job);
            }
            if !worker.run_one().await? {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    };
    // The bar follows the job's progress while the worker runs it.
    let watch = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if let Ok(j) = jobs::get(db, &Actor::SYSTEM, queued.id).await {
                progress(file::Progress {
                    done: j.progress.done,
                    total: j.progress.total,
                });
            }
        }
    };
    let job = tokio::select! {
        j = run => j.map_err(core)?,
        _ = watch => unreachable_watch()?,
    };
    if let Some(path) = &args.errors {
        let rejected = jobs::file(db, &Actor::SYSTEM, job.id, import_job::REJECTED).await;
        // As a person reads it: the reasons in English, without the column of codes.
        let bytes = match rejected {
            Ok(f) => file::rejects_for_reading(&f.data, |m| m.to_string(), str::to_string)
                .map_err(core)?,
            Err(relais_core::CoreError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(core(e)),
        };
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    match job.status {
        Status::Succeeded => serde_json::from_value(job.result.unwrap_or_default())
            .context("the import's report can't be read"),
        _ => anyhow::bail!(
            "the import {}: {}",
            job.status.as_str(),
            job.error.unwrap_or_default()
        ),
    }
}

/// The watcher of the progress bar never ends by itself.
fn unreachable_watch() -> Result<relais_core::jobs::JobView> {
    anyhow::bail!("the progress bar stopped")
}

pub async fn export(db: &Db, args: ExportArgs) -> Result<()> {
    let format = match args.format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Vcard => Format::Vcard,
    };
    let Some(exporter) = relais_core::export::job::exporter(&args.kind) else {
        let kinds: Vec<_> = relais_core::export::job::exporters()
            .iter()
            .map(|e| e.kind)
            .collect();
        anyhow::bail!(
            "'{}' is not a kind of record that can be exported ({})",
            args.kind,
            kinds.join(", ")
        );
    };
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let pb = if args.output.is_some() {
        bar(None, "exported")
    } else {
        ProgressBar::hidden()
    };
    let progress = |n, _| pb.set_position(n);
    let count = exporter
        .write(db, &Actor::SYSTEM, format, &[], &mut out, &progress)
        .await
        .map_err(core)?;
    pb.finish_and_clear();
    if let Some(p) = &args.output {
        eprintln!("{count} records written to {}", p.display());
    }
    Ok(())
}

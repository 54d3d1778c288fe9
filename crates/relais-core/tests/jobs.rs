//! Durable jobs on both engines, with kinds of job defined only here: many workers never
//! run one job twice, a job whose worker died is taken up again, cancellation stops a
//! running job, failures are retried with back-off then given up, a panic fails the job and
//! not the worker.
use chrono::Duration;
use relais_core::Actor;
use relais_core::jobs::{self, BoxFuture, Handler, JobRun, Registry, Status, Worker};
use relais_core::{CoreError, Db, Result};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Records which job ran, then succeeds.
struct Record(Arc<Mutex<Vec<Uuid>>>);

impl Handler for Record {
    fn run<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<Value>> {
        Box::pin(async move {
            self.0.lock().unwrap().push(job.id);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            Ok(json!({"ran": job.id}))
        })
    }
}

/// Runs until stopped, reporting progress.
struct Forever;

impl Handler for Forever {
    fn run<'a>(&'a self, job: JobRun<'a>) -> BoxFuture<'a, Result<Value>> {
        Box::pin(async move {
            for i in 0.. {
                job.progress.set(i, 0);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Ok(Value::Null)
        })
    }
}

/// Fails as a server failure would (retried).
struct Broken;

impl Handler for Broken {
    fn run<'a>(&'a self, _: JobRun<'a>) -> BoxFuture<'a, Result<Value>> {
        Box::pin(async { Err(CoreError::Internal("disk full".into())) })
    }
}

struct Panics;

impl Handler for Panics {
    fn run<'a>(&'a self, _: JobRun<'a>) -> BoxFuture<'a, Result<Value>> {
        Box::pin(async { panic!("a bug in a handler") })
    }
}

fn registry(seen: &Arc<Mutex<Vec<Uuid>>>) -> Registry {
    let mut r = Registry::default();
    r.register("record", Record(seen.clone()));
    r.register("forever", Forever);
    r.register("broken", Broken);
    r.register("panics", Panics);
    r
}

fn worker(db: &Db, seen: &Arc<Mutex<Vec<Uuid>>>, lease_secs: i64) -> Worker {
    let mut w = Worker::new(db.clone(), registry(seen));
    w.lease = Duration::seconds(lease_secs);
    w.poll = std::time::Duration::from_millis(10);
    w
}

async fn enqueue(db: &Db, kind: &str) -> Uuid {
    jobs::enqueue(db, &Actor::SYSTEM, kind, &json!({}), vec![])
        .await
        .expect("queued")
        .id
}

async fn status(db: &Db, id: Uuid) -> jobs::JobView {
    jobs::get(db, &Actor::SYSTEM, id).await.expect("job")
}

#[tokio::test]
async fn many_workers_never_run_the_same_job_twice() {
    for t in relais_testkit::engines().await {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut ids = Vec::new();
        for _ in 0..24 {
            ids.push(enqueue(&t.db, "record").await);
        }
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let w = worker(&t.db, &seen, 30);
            tasks.push(tokio::spawn(async move {
                while w.run_one().await.expect("a worker's round") {}
            }));
        }
        for task in tasks {
            task.await.expect("worker");
        }
        let mut ran = seen.lock().unwrap().clone();
        assert_eq!(ran.len(), 24, "{}: each job ran once", t.engine);
        ran.sort();
        ran.dedup();
        assert_eq!(ran.len(), 24, "{}: no job ran twice", t.engine);
        for id in ids {
            let j = status(&t.db, id).await;
            assert_eq!(j.status, Status::Succeeded, "{}", t.engine);
            assert_eq!(j.attempts, 1);
            assert_eq!(j.result, Some(json!({"ran": id})));
        }
        t.db.close().await;
    }
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_up_again_once_its_lease_ran_out() {
    for t in relais_testkit::engines().await {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let id = enqueue(&t.db, "record").await;
        // A worker claims the job and dies before renewing its lease.
        let mut tx = t.db.write().await.unwrap();
        let claimed =
            relais_store::jobs::claim(&mut tx, "dead", Duration::seconds(1), chrono::Utc::now())
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.map(|j| j.id), Some(id));
        let w = worker(&t.db, &seen, 30);
        assert!(
            !w.run_one().await.unwrap(),
            "{}: the lease still holds",
            t.engine
        );
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert!(w.run_one().await.unwrap(), "{}: taken up again", t.engine);
        let j = status(&t.db, id).await;
        assert_eq!(
            (j.status, j.attempts),
            (Status::Succeeded, 2),
            "{}",
            t.engine
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
        t.db.close().await;
    }
}

#[tokio::test]
async fn cancelling_stops_a_running_job_and_a_queued_one_at_once() {
    for t in relais_testkit::engines().await {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let queued = enqueue(&t.db, "forever").await;
        let j = jobs::cancel(&t.db, &Actor::SYSTEM, queued).await.unwrap();
        assert_eq!(j.status, Status::Cancelled, "{}", t.engine);
        let id = enqueue(&t.db, "forever").await;
        // A lease of 3 s: the worker renews it, and reads the cancellation, every second.
        let w = worker(&t.db, &seen, 3);
        let run = tokio::spawn(async move { w.run_one().await });
        let started = std::time::Instant::now();
        while status(&t.db, id).await.status != Status::Running {
            assert!(started.elapsed().as_secs() < 10, "never started");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let j = jobs::cancel(&t.db, &Actor::SYSTEM, id).await.unwrap();
        assert!(j.cancel_requested);
        let asked = std::time::Instant::now();
        assert!(run.await.unwrap().unwrap());
        assert!(asked.elapsed().as_millis() < 2500, "stopped within a beat");
        let j = status(&t.db, id).await;
        assert_eq!(j.status, Status::Cancelled, "{}", t.engine);
        assert!(j.progress.done > 0, "its progress was recorded");
        assert!(matches!(
            jobs::cancel(&t.db, &Actor::SYSTEM, id).await,
            Err(CoreError::Conflict(_))
        ));
        t.db.close().await;
    }
}

#[tokio::test]
async fn failures_are_retried_later_then_given_up_and_a_panic_spares_the_worker() {
    for t in relais_testkit::engines().await {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let id = enqueue(&t.db, "broken").await;
        let w = worker(&t.db, &seen, 30);
        assert!(w.run_one().await.unwrap());
        let j = status(&t.db, id).await;
        assert_eq!((j.status, j.attempts), (Status::Queued, 1), "{}", t.engine);
        assert!(
            j.error.as_deref().unwrap().contains("tried again"),
            "{:?}",
            j.error
        );
        // Not before its back-off.
        assert!(!w.run_one().await.unwrap(), "{}", t.engine);
        for attempt in 2..=3 {
            relais_testkit::execute(&t.url, "UPDATE jobs SET run_after = created_at").await;
            assert!(w.run_one().await.unwrap());
            let j = status(&t.db, id).await;
            assert_eq!(j.attempts, attempt);
        }
        let j = status(&t.db, id).await;
        assert_eq!(j.status, Status::Failed, "{}: given up after 3", t.engine);
        assert!(j.finished_at.is_some());

        let id = enqueue(&t.db, "panics").await;
        assert!(w.run_one().await.unwrap(), "the worker lives on");
        let j = status(&t.db, id).await;
        assert_eq!(j.status, Status::Queued, "{}", t.engine);
        assert_eq!(j.error.as_deref(), Some("the job stopped unexpectedly"));

        let id = enqueue(&t.db, "unheard-of").await;
        assert!(w.run_one().await.unwrap());
        let j = status(&t.db, id).await;
        assert_eq!(
            j.status,
            Status::Failed,
            "{}: no retry for an unknown kind",
            t.engine
        );
        t.db.close().await;
    }
}

#[tokio::test]
async fn a_worker_forgets_the_logs_of_imports_past_their_undo_time() {
    for t in relais_testkit::engines().await {
        let (old, recent) = (Uuid::now_v7(), Uuid::now_v7());
        let line = |seq| relais_store::import_log::LoggedChange {
            seq,
            entity: "person".into(),
            record_id: Uuid::now_v7(),
            action: "created".into(),
            before: None,
            version_after: 1,
        };
        let now = chrono::Utc::now();
        let mut tx = t.db.write().await.unwrap();
        relais_store::import_log::append(
            &mut tx,
            old,
            &[line(1), line(2)],
            now - Duration::days(31),
        )
        .await
        .unwrap();
        relais_store::import_log::append(&mut tx, recent, &[line(1)], now - Duration::days(29))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let worker = Worker::new(t.db.clone(), Registry::default());
        assert_eq!(worker.import_undo, Duration::days(30), "the default");
        assert_eq!(worker.sweep().await.unwrap(), 2, "{}", t.engine);
        let mut tx = t.db.read().await.unwrap();
        let (n, _) = relais_store::import_log::summary(&mut tx, old)
            .await
            .unwrap();
        assert_eq!(n, 0, "past its undo time");
        let (n, _) = relais_store::import_log::summary(&mut tx, recent)
            .await
            .unwrap();
        assert_eq!(n, 1, "still undoable, kept");
        drop(tx);
        // An administrator's setting wins over the worker's default.
        let defaults = relais_domain::settings::Settings::default();
        let body = serde_json::json!({"import_undo_days": 28});
        relais_core::settings::update(&t.db, &relais_core::auth::Actor::SYSTEM, defaults, body)
            .await
            .unwrap();
        assert_eq!(worker.sweep().await.unwrap(), 1, "{}", t.engine);
        let mut tx = t.db.read().await.unwrap();
        let (n, _) = relais_store::import_log::summary(&mut tx, recent)
            .await
            .unwrap();
        assert_eq!(n, 0, "past the 28 days an administrator set");
    }
}

//! The plan on disk: `plan.json` (the steps, their evidence and review state) with
//! `plan.sql` and `rollback.sql` rendered from it, each replaced atomically, changed only
//! under an exclusive lock so that two warroom processes never lose each other's steps.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::Plan;
use super::file::write_atomic;

pub const STATE: &str = "plan.json";
pub const PLAN: &str = "plan.sql";
pub const ROLLBACK: &str = "rollback.sql";
const LOCK: &str = ".plan.lock";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use {0}: {1}")]
    Io(String, io::Error),
    #[error("{0} is damaged ({1}); it was left as it is: move it away to start a new plan")]
    Damaged(String, String),
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> StoreError + '_ {
    move |e| StoreError::Io(path.display().to_string(), e)
}

pub fn plan_path(dir: &Path) -> PathBuf {
    dir.join(PLAN)
}

pub fn rollback_path(dir: &Path) -> PathBuf {
    dir.join(ROLLBACK)
}

/// The incident's plan, if one was staged.
pub fn load(dir: &Path) -> Result<Option<Plan>, StoreError> {
    let path = dir.join(STATE);
    match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Damaged(path.display().to_string(), e.to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Io(path.display().to_string(), e)),
    }
}

/// Writes the rendered files first and the state last: after a crash in between, the next
/// save renders them again from the state.
fn save(dir: &Path, plan: &Plan) -> Result<(), StoreError> {
    clean_leftovers(dir);
    let json = serde_json::to_string_pretty(plan).expect("a plan serializes");
    for (name, text) in [(PLAN, plan.render_plan()), (ROLLBACK, plan.render_rollback()), (STATE, json + "\n")] {
        let path = dir.join(name);
        write_atomic(&path, text.as_bytes()).map_err(io_err(&path))?;
    }
    Ok(())
}

/// Temporary files of a writer that was killed mid-write (only ever removed under the lock).
fn clean_leftovers(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = [PLAN, ROLLBACK, STATE].iter().any(|f| name.starts_with(&format!(".{f}.")));
        if ours && name.ends_with(".tmp") {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Loads the plan under an exclusive lock, lets `change` edit it (None: no plan yet), and
/// saves it if `change` returns Ok and left a plan.
pub fn update<R, E: From<StoreError>>(
    dir: &Path,
    change: impl FnOnce(&mut Option<Plan>) -> Result<R, E>,
) -> Result<R, E> {
    crate::incident::ensure(dir).map_err(|e| StoreError::Io(dir.display().to_string(), io::Error::other(e)))?;
    let lock_path = dir.join(LOCK);
    let lock =
        OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(io_err(&lock_path))?;
    lock.lock().map_err(io_err(&lock_path))?;
    let mut plan = load(dir)?;
    let before = plan.clone();
    let out = change(&mut plan)?;
    if let Some(p) = &plan
        && plan != before
    {
        save(dir, p)?;
    }
    drop::<File>(lock);
    Ok(out)
}

/// Where the plan is and whether `warroom plan verify` would pass on it now (None: no plan).
pub fn info(dir: &Path) -> Option<crate::timeline::export::PlanInfo> {
    let path = plan_path(dir);
    let text = fs::read_to_string(&path).ok()?;
    let status = match super::file::verify(&text) {
        Ok(v) => format!("REVIEWED by {} at {}; `warroom plan verify` passes", v.by, v.at),
        Err(super::file::VerifyError::Draft) => "DRAFT: nobody has marked it reviewed".to_string(),
        Err(e) => format!("NOT VERIFIED: {e}"),
    };
    Some(crate::timeline::export::PlanInfo { path: path.display().to_string(), status })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_writers_never_lose_a_step() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    for i in 0..5 {
                        update::<_, StoreError>(&d, |p| {
                            let plan = p.get_or_insert_with(|| Plan::new("INC-1", "alice", "t0"));
                            plan.stage(&format!("DELETE FROM t{t} WHERE id = {i}"), None, "t1");
                            Ok(())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let plan = load(dir.path()).unwrap().unwrap();
        assert_eq!(plan.steps.len(), 20);
        let sql = fs::read_to_string(plan_path(dir.path())).unwrap();
        assert!(sql.contains("step 20 of 20"), "{sql}");
    }

    #[test]
    fn a_damaged_state_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(STATE), "{ not json").unwrap();
        let r = update::<_, StoreError>(dir.path(), |p| {
            *p = Some(Plan::new("INC-1", "alice", "t0"));
            Ok(())
        });
        assert!(matches!(r, Err(StoreError::Damaged(..))), "{r:?}");
        assert_eq!(fs::read_to_string(dir.path().join(STATE)).unwrap(), "{ not json");
    }
}

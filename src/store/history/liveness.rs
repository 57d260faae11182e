//! Telling a batch that is still being sent from one whose process died.
//!
//! The process recording a batch holds an exclusive OS file lock on a small file next to the
//! database for as long as it records. The OS drops the lock when the process ends, however it
//! ends (SIGKILL included), so a reader that can take the lock knows nobody will ever answer
//! that batch's `in_flight` rows: they read as "unknown outcome".

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The lock a recording process holds on its batch.
#[derive(Debug)]
pub(super) struct BatchLock {
    file: File,
    path: PathBuf,
}

fn lock_path(db: &Path, batch_id: i64) -> PathBuf {
    let name = db
        .file_name()
        .map_or_else(|| "history".into(), |name| name.to_string_lossy());
    db.with_file_name(format!("{name}-batch-{batch_id}.lock"))
}

impl BatchLock {
    /// Takes the lock for `batch_id`.
    pub(super) fn acquire(db: &Path, batch_id: i64) -> std::io::Result<Self> {
        let path = lock_path(db, batch_id);
        let file = File::create(&path)?;
        file.lock()?;
        Ok(Self { file, path })
    }

    /// Gives the lock up once every row of the batch has its answer.
    pub(super) fn release(self) {
        let Self { file, path } = self;
        // Unlock before removing: Windows refuses to delete a locked file.
        drop(file);
        let _ = std::fs::remove_file(path);
    }
}

/// Whether a live process is still recording `batch_id`. A missing lock file or one
/// nobody holds means its process is gone; so does any error, because a row read as
/// "unknown" is safe where one read as "in flight" forever is not.
pub(super) fn is_live(db: &Path, batch_id: i64) -> bool {
    let Ok(file) = File::open(lock_path(db, batch_id)) else {
        return false;
    };
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::TempDir;
    use super::*;

    #[test]
    fn a_held_lock_is_live_and_a_released_one_is_not() {
        let dir = TempDir::new("lock");
        assert!(!is_live(&dir.db(), 7), "no lock file: nobody is recording");
        let lock = BatchLock::acquire(&dir.db(), 7).unwrap();
        assert!(is_live(&dir.db(), 7));
        lock.release();
        assert!(!is_live(&dir.db(), 7));
        assert!(!lock_path(&dir.db(), 7).exists());
    }
}

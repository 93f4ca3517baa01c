//! The EVE file (`eve.json`): buffered appends, one line per event, and the reopen that
//! SIGHUP asks for after logrotate moved the file away.
//!
//! Like ntpd-rs and Suricata, a failed reopen is not fatal: the old handle stays, lines
//! keep going to the file it still points at (renamed, or unlinked but open), and the
//! caller counts and reports the error. Losing the sensor's output because a directory
//! was briefly missing would be worse.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Write buffer size: large enough that a burst of events becomes few `write` calls,
/// small enough that a crash loses little.
const BUFFER_BYTES: usize = 64 * 1024;

/// An append-only EVE file that can be reopened in place.
#[derive(Debug)]
pub struct EveFile {
    path: PathBuf,
    out: BufWriter<File>,
}

impl EveFile {
    /// Creates the file if needed and opens it for appending (never truncates: a restart
    /// continues the same log).
    pub fn open(path: &Path) -> io::Result<EveFile> {
        let file = open_append(path)?;
        Ok(EveFile {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(BUFFER_BYTES, file),
        })
    }

    /// Appends `line` (which must not end in `\n`) and a newline.
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.out.write_all(line)?;
        self.out.write_all(b"\n")
    }

    /// Pushes buffered lines to the operating system.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// For SIGHUP / logrotate: flushes what is buffered into the current file, then
    /// opens the same path again in append mode. If the reopen fails, the old handle is
    /// kept (writes go on to the old file) and the error is returned for the caller to
    /// report.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.out.flush()?;
        let file = open_append(&self.path)?;
        // The old writer's buffer is empty after the flush above, so dropping it loses
        // nothing and closes the old descriptor.
        self.out = BufWriter::with_capacity(BUFFER_BYTES, file);
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn lines_end_in_newline_and_appends_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eve.json");
        {
            let mut f = EveFile::open(&path).unwrap();
            f.write_line(br#"{"a":1}"#).unwrap();
            f.flush().unwrap();
        }
        let mut f = EveFile::open(&path).unwrap();
        f.write_line(br#"{"b":2}"#).unwrap();
        f.flush().unwrap();
        assert_eq!(read(&path), "{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(f.path(), path.as_path());
    }

    #[test]
    fn reopen_on_the_same_file_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eve.json");
        let mut f = EveFile::open(&path).unwrap();
        f.write_line(b"1").unwrap();
        f.reopen().unwrap();
        f.write_line(b"2").unwrap();
        f.flush().unwrap();
        assert_eq!(read(&path), "1\n2\n");
    }

    #[test]
    fn reopen_after_rename_writes_to_a_new_file_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eve.json");
        let rotated = dir.path().join("eve.json.1");
        let mut f = EveFile::open(&path).unwrap();
        f.write_line(b"before-1").unwrap();
        f.flush().unwrap();
        // Still buffered when logrotate renames the file: must land in the old file.
        f.write_line(b"before-2").unwrap();
        std::fs::rename(&path, &rotated).unwrap();
        f.reopen().unwrap();
        f.write_line(b"after").unwrap();
        f.flush().unwrap();
        assert_eq!(read(&rotated), "before-1\nbefore-2\n");
        assert_eq!(read(&path), "after\n");
    }

    #[test]
    fn failed_reopen_keeps_writing_to_the_old_handle() {
        let dir = tempfile::tempdir().unwrap();
        let logdir = dir.path().join("log");
        std::fs::create_dir(&logdir).unwrap();
        let path = logdir.join("eve.json");
        let mut f = EveFile::open(&path).unwrap();
        f.write_line(b"one").unwrap();

        // Keep the open file reachable through a hard link, then remove the directory:
        // the reopen cannot create the path any more.
        let kept = dir.path().join("kept.json");
        std::fs::hard_link(&path, &kept).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_dir(&logdir).unwrap();

        let err = f.reopen().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        f.write_line(b"two").unwrap();
        f.flush().unwrap();
        assert_eq!(read(&kept), "one\ntwo\n");
        assert_eq!(f.path(), path.as_path());
    }

    #[test]
    fn open_fails_when_the_directory_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("eve.json");
        assert!(EveFile::open(&path).is_err());
    }
}

//! The records in service: read from the files at startup, then changed by the admin API. A
//! change builds a new set and swaps it in at once, so a data call always reads a consistent set;
//! changes live in memory only (a restart reads the files again).

use std::sync::{Arc, Mutex, RwLock};

use crate::records::{Record, Records};

pub struct RecordStore {
    current: RwLock<Arc<Records>>,
    /// Orders the writers, so two changes at once cannot lose one.
    writer: Mutex<()>,
}

impl RecordStore {
    pub fn new(records: Records) -> Self {
        Self {
            current: RwLock::new(Arc::new(records)),
            writer: Mutex::new(()),
        }
    }

    /// The records as of now (a snapshot: later changes do not alter it).
    pub fn current(&self) -> Arc<Records> {
        // Swapping an `Arc` cannot be interrupted half-way: a poisoned lock holds a valid value.
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn swap(&self, records: Records) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(records);
    }

    /// Adds `record`, or replaces the record with its SPI; `true` when it replaced one.
    pub fn put(&self, record: Record) -> bool {
        let _one_at_a_time = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let (records, replaced) = self.current().with(record);
        self.swap(records);
        replaced
    }

    /// Removes the record of `spi`; `false` when there is none.
    pub fn delete(&self, spi: &str) -> bool {
        let _one_at_a_time = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match self.current().without(spi) {
            Some(records) => {
                self.swap(records);
                true
            }
            None => false,
        }
    }
}

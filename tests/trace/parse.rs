//! Reading a written trace back with a JSON parser, and the structural checks every
//! trace must pass: metadata naming tracks, complete slices, flows that pair up.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// The reactor's and the `block_on` future's tracks (`src/trace/json.rs`).
pub const REACTOR_TID: u64 = i32::MAX as u64;
pub const MAIN_TID: u64 = REACTOR_TID - 1;

pub struct Trace {
    pub events: Vec<Value>,
}

impl Trace {
    /// Parses `path` strictly: it must be a closed JSON array.
    pub fn read(path: &Path) -> Trace {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        Trace::parse(&text)
    }

    pub fn parse(text: &str) -> Trace {
        let value: Value =
            serde_json::from_str(text).unwrap_or_else(|err| panic!("not JSON ({err}):\n{text:.2000}"));
        let Value::Array(events) = value else { panic!("not the array form") };
        Trace { events }
    }

    pub fn of_phase<'a>(&'a self, ph: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.events.iter().filter(move |e| e["ph"] == ph)
    }

    /// Track names by (pid, tid).
    pub fn track_names(&self) -> HashMap<(u64, u64), String> {
        self.of_phase("M")
            .filter(|e| e["name"] == "thread_name")
            .map(|e| ((pid(e), tid(e)), e["args"]["name"].as_str().unwrap().to_string()))
            .collect()
    }

    /// The track of the task whose name starts with `prefix` ("task 7 ...").
    pub fn track_of(&self, prefix: &str) -> (u64, u64) {
        let names = self.track_names();
        let found: Vec<_> = names.iter().filter(|(_, name)| name.starts_with(prefix)).collect();
        assert_eq!(found.len(), 1, "one track named {prefix:?}: {names:?}");
        *found[0].0
    }

    /// Complete slices named `name` on a track.
    pub fn slices(&self, track: (u64, u64), name: &str) -> Vec<&Value> {
        self.of_phase("X").filter(|e| (pid(e), tid(e)) == track && e["name"] == name).collect()
    }

    /// Every structural rule: slices well formed, flows paired, each flow's start
    /// inside a slice of its track and its end at the start of a poll of its track.
    pub fn check_structure(&self) {
        for slice in self.of_phase("X") {
            assert!(ts(slice) >= 0.0 && slice["dur"].as_f64().unwrap() >= 0.0, "{slice}");
        }
        let names = self.track_names();
        let mut starts = HashMap::new();
        let mut ends = HashMap::new();
        for flow in self.of_phase("s") {
            assert!(starts.insert(flow["id"].as_u64().unwrap(), flow).is_none(), "start id twice: {flow}");
        }
        for flow in self.of_phase("f") {
            assert_eq!(flow["bp"], "e", "{flow}");
            assert!(ends.insert(flow["id"].as_u64().unwrap(), flow).is_none(), "end id twice: {flow}");
        }
        let mut start_ids: Vec<_> = starts.keys().collect();
        let mut end_ids: Vec<_> = ends.keys().collect();
        start_ids.sort();
        end_ids.sort();
        assert_eq!(start_ids, end_ids, "every flow starts and ends");
        for (id, end) in &ends {
            let track = (pid(end), tid(end));
            assert!(names.contains_key(&track), "flow {id} ends on an unnamed track");
            let on_poll = self.slices(track, "poll").iter().any(|poll| ts(poll) == ts(end));
            assert!(on_poll, "flow {id} ends at the start of a poll: {end}");
            let start = starts[id];
            let within = self.of_phase("X").any(|slice| {
                (pid(slice), tid(slice)) == (pid(start), tid(start))
                    && ts(slice) <= ts(start)
                    && ts(start) <= ts(slice) + slice["dur"].as_f64().unwrap()
            });
            assert!(within, "flow {id} starts inside a slice of its track: {start}");
            assert!(ts(start) <= ts(end), "flow {id} goes forward in time");
        }
    }
}

pub fn pid(e: &Value) -> u64 {
    e["pid"].as_u64().unwrap()
}

pub fn tid(e: &Value) -> u64 {
    e["tid"].as_u64().unwrap()
}

pub fn ts(e: &Value) -> f64 {
    e["ts"].as_f64().unwrap()
}

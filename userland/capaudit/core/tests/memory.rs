//! The auditor's memory view: every mapping of a shared region is listed
//! with both tasks and the policy's verdict.

use rampart_capaudit::Subject;
use rampart_capaudit::memory::{Mapping, lines};

fn t(pid: u32, name: &str, context: &str) -> Subject {
    Subject { pid, name: name.into(), context: context.into() }
}

#[test]
fn every_mapping_is_listed_with_both_tasks_and_the_verdict() {
    let tasks = [
        t(9, "net", "system_u:system_r:net_t"),
        t(12, "wget", "user_u:user_r:user_t"),
        t(13, "httpd", "system_u:system_r:httpd_t"),
    ];
    let maps = [
        Mapping { region: 4, owner: 12, mapper: 9, pages: 16, writable: true },
        Mapping { region: 7, owner: 12, mapper: 13, pages: 1, writable: false },
        Mapping { region: 8, owner: 12, mapper: 99, pages: 2, writable: false },
    ];
    let mut asked = Vec::new();
    let mut decide = |m: &str, o: &str, w: bool| {
        asked.push((m.to_string(), o.to_string(), w));
        Ok(m.contains("net_t"))
    };
    let l = lines(&maps, &tasks, &mut decide);
    assert_eq!(
        l[0],
        "memory: region 4 (16 pages) of pid 12 (wget, user_u:user_r:user_t) mapped rw by pid 9 (net, system_u:system_r:net_t): shm allowed by policy"
    );
    assert!(
        l[1].contains("mapped ro by pid 13 (httpd, ") && l[1].ends_with("shm NOT granted by the policy"),
        "{}",
        l[1]
    );
    assert!(l[2].contains("by pid 99 (?)") && l[2].contains("undecided"), "{}", l[2]);
    assert_eq!(l[3], "memory: 3 mappings of shared regions: 1 granted, 1 not granted, 1 undecided");
    assert_eq!(
        asked,
        vec![
            ("system_u:system_r:net_t".into(), "user_u:user_r:user_t".into(), true),
            ("system_u:system_r:httpd_t".into(), "user_u:user_r:user_t".into(), false)
        ]
    );
    assert_eq!(
        lines(&[], &tasks, &mut |_, _, _| Ok(true)),
        vec!["memory: 0 mappings of shared regions: 0 granted, 0 not granted, 0 undecided"]
    );
}

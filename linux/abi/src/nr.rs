//! Linux x86_64 system-call numbers (Linux 6.1
//! `arch/x86/entry/syscalls/syscall_64.tbl`, the 64-bit ABI: numbers
//! 0..=334 and 424..=450; the x32 numbers from 512 up are not part of it and
//! are `ENOSYS` like every other unknown number).

/// Highest number in the 64-bit table (Linux 6.1: `set_mempolicy_home_node`).
pub const MAX: u64 = 450;

/// `read` (read(2)).
pub const READ: u64 = 0;
/// `write` (write(2)).
pub const WRITE: u64 = 1;
/// `open` (open(2)).
pub const OPEN: u64 = 2;
/// `close` (close(2)).
pub const CLOSE: u64 = 3;
/// `stat` (stat(2)).
pub const STAT: u64 = 4;
/// `fstat` (fstat(2)).
pub const FSTAT: u64 = 5;
/// `lstat` (lstat(2)).
pub const LSTAT: u64 = 6;
/// `poll` (poll(2)).
pub const POLL: u64 = 7;
/// `lseek` (lseek(2)).
pub const LSEEK: u64 = 8;
/// `mmap` (mmap(2)).
pub const MMAP: u64 = 9;
/// `mprotect` (mprotect(2)).
pub const MPROTECT: u64 = 10;
/// `munmap` (munmap(2)).
pub const MUNMAP: u64 = 11;
/// `brk` (brk(2)).
pub const BRK: u64 = 12;
/// `rt_sigaction` (rt_sigaction(2)).
pub const RT_SIGACTION: u64 = 13;
/// `rt_sigprocmask` (rt_sigprocmask(2)).
pub const RT_SIGPROCMASK: u64 = 14;
/// `rt_sigreturn` (rt_sigreturn(2)).
pub const RT_SIGRETURN: u64 = 15;
/// `ioctl` (ioctl(2)).
pub const IOCTL: u64 = 16;
/// `pread64` (pread64(2)).
pub const PREAD64: u64 = 17;
/// `pwrite64` (pwrite64(2)).
pub const PWRITE64: u64 = 18;
/// `readv` (readv(2)).
pub const READV: u64 = 19;
/// `writev` (writev(2)).
pub const WRITEV: u64 = 20;
/// `access` (access(2)).
pub const ACCESS: u64 = 21;
/// `pipe` (pipe(2)).
pub const PIPE: u64 = 22;
/// `select` (select(2)).
pub const SELECT: u64 = 23;
/// `sched_yield` (sched_yield(2)).
pub const SCHED_YIELD: u64 = 24;
/// `mremap` (mremap(2)).
pub const MREMAP: u64 = 25;
/// `msync` (msync(2)).
pub const MSYNC: u64 = 26;
/// `mincore` (mincore(2)).
pub const MINCORE: u64 = 27;
/// `madvise` (madvise(2)).
pub const MADVISE: u64 = 28;
/// `shmget` (shmget(2)).
pub const SHMGET: u64 = 29;
/// `shmat` (shmat(2)).
pub const SHMAT: u64 = 30;
/// `shmctl` (shmctl(2)).
pub const SHMCTL: u64 = 31;
/// `dup` (dup(2)).
pub const DUP: u64 = 32;
/// `dup2` (dup2(2)).
pub const DUP2: u64 = 33;
/// `pause` (pause(2)).
pub const PAUSE: u64 = 34;
/// `nanosleep` (nanosleep(2)).
pub const NANOSLEEP: u64 = 35;
/// `getitimer` (getitimer(2)).
pub const GETITIMER: u64 = 36;
/// `alarm` (alarm(2)).
pub const ALARM: u64 = 37;
/// `setitimer` (setitimer(2)).
pub const SETITIMER: u64 = 38;
/// `getpid` (getpid(2)).
pub const GETPID: u64 = 39;
/// `sendfile` (sendfile(2)).
pub const SENDFILE: u64 = 40;
/// `socket` (socket(2)).
pub const SOCKET: u64 = 41;
/// `connect` (connect(2)).
pub const CONNECT: u64 = 42;
/// `accept` (accept(2)).
pub const ACCEPT: u64 = 43;
/// `sendto` (sendto(2)).
pub const SENDTO: u64 = 44;
/// `recvfrom` (recvfrom(2)).
pub const RECVFROM: u64 = 45;
/// `sendmsg` (sendmsg(2)).
pub const SENDMSG: u64 = 46;
/// `recvmsg` (recvmsg(2)).
pub const RECVMSG: u64 = 47;
/// `shutdown` (shutdown(2)).
pub const SHUTDOWN: u64 = 48;
/// `bind` (bind(2)).
pub const BIND: u64 = 49;
/// `listen` (listen(2)).
pub const LISTEN: u64 = 50;
/// `getsockname` (getsockname(2)).
pub const GETSOCKNAME: u64 = 51;
/// `getpeername` (getpeername(2)).
pub const GETPEERNAME: u64 = 52;
/// `socketpair` (socketpair(2)).
pub const SOCKETPAIR: u64 = 53;
/// `setsockopt` (setsockopt(2)).
pub const SETSOCKOPT: u64 = 54;
/// `getsockopt` (getsockopt(2)).
pub const GETSOCKOPT: u64 = 55;
/// `clone` (clone(2)).
pub const CLONE: u64 = 56;
/// `fork` (fork(2)).
pub const FORK: u64 = 57;
/// `vfork` (vfork(2)).
pub const VFORK: u64 = 58;
/// `execve` (execve(2)).
pub const EXECVE: u64 = 59;
/// `exit` (exit(2)).
pub const EXIT: u64 = 60;
/// `wait4` (wait4(2)).
pub const WAIT4: u64 = 61;
/// `kill` (kill(2)).
pub const KILL: u64 = 62;
/// `uname` (uname(2)).
pub const UNAME: u64 = 63;
/// `semget` (semget(2)).
pub const SEMGET: u64 = 64;
/// `semop` (semop(2)).
pub const SEMOP: u64 = 65;
/// `semctl` (semctl(2)).
pub const SEMCTL: u64 = 66;
/// `shmdt` (shmdt(2)).
pub const SHMDT: u64 = 67;
/// `msgget` (msgget(2)).
pub const MSGGET: u64 = 68;
/// `msgsnd` (msgsnd(2)).
pub const MSGSND: u64 = 69;
/// `msgrcv` (msgrcv(2)).
pub const MSGRCV: u64 = 70;
/// `msgctl` (msgctl(2)).
pub const MSGCTL: u64 = 71;
/// `fcntl` (fcntl(2)).
pub const FCNTL: u64 = 72;
/// `flock` (flock(2)).
pub const FLOCK: u64 = 73;
/// `fsync` (fsync(2)).
pub const FSYNC: u64 = 74;
/// `fdatasync` (fdatasync(2)).
pub const FDATASYNC: u64 = 75;
/// `truncate` (truncate(2)).
pub const TRUNCATE: u64 = 76;
/// `ftruncate` (ftruncate(2)).
pub const FTRUNCATE: u64 = 77;
/// `getdents` (getdents(2)).
pub const GETDENTS: u64 = 78;
/// `getcwd` (getcwd(2)).
pub const GETCWD: u64 = 79;
/// `chdir` (chdir(2)).
pub const CHDIR: u64 = 80;
/// `fchdir` (fchdir(2)).
pub const FCHDIR: u64 = 81;
/// `rename` (rename(2)).
pub const RENAME: u64 = 82;
/// `mkdir` (mkdir(2)).
pub const MKDIR: u64 = 83;
/// `rmdir` (rmdir(2)).
pub const RMDIR: u64 = 84;
/// `creat` (creat(2)).
pub const CREAT: u64 = 85;
/// `link` (link(2)).
pub const LINK: u64 = 86;
/// `unlink` (unlink(2)).
pub const UNLINK: u64 = 87;
/// `symlink` (symlink(2)).
pub const SYMLINK: u64 = 88;
/// `readlink` (readlink(2)).
pub const READLINK: u64 = 89;
/// `chmod` (chmod(2)).
pub const CHMOD: u64 = 90;
/// `fchmod` (fchmod(2)).
pub const FCHMOD: u64 = 91;
/// `chown` (chown(2)).
pub const CHOWN: u64 = 92;
/// `fchown` (fchown(2)).
pub const FCHOWN: u64 = 93;
/// `lchown` (lchown(2)).
pub const LCHOWN: u64 = 94;
/// `umask` (umask(2)).
pub const UMASK: u64 = 95;
/// `gettimeofday` (gettimeofday(2)).
pub const GETTIMEOFDAY: u64 = 96;
/// `getrlimit` (getrlimit(2)).
pub const GETRLIMIT: u64 = 97;
/// `getrusage` (getrusage(2)).
pub const GETRUSAGE: u64 = 98;
/// `sysinfo` (sysinfo(2)).
pub const SYSINFO: u64 = 99;
/// `times` (times(2)).
pub const TIMES: u64 = 100;
/// `ptrace` (ptrace(2)).
pub const PTRACE: u64 = 101;
/// `getuid` (getuid(2)).
pub const GETUID: u64 = 102;
/// `syslog` (syslog(2)).
pub const SYSLOG: u64 = 103;
/// `getgid` (getgid(2)).
pub const GETGID: u64 = 104;
/// `setuid` (setuid(2)).
pub const SETUID: u64 = 105;
/// `setgid` (setgid(2)).
pub const SETGID: u64 = 106;
/// `geteuid` (geteuid(2)).
pub const GETEUID: u64 = 107;
/// `getegid` (getegid(2)).
pub const GETEGID: u64 = 108;
/// `setpgid` (setpgid(2)).
pub const SETPGID: u64 = 109;
/// `getppid` (getppid(2)).
pub const GETPPID: u64 = 110;
/// `getpgrp` (getpgrp(2)).
pub const GETPGRP: u64 = 111;
/// `setsid` (setsid(2)).
pub const SETSID: u64 = 112;
/// `setreuid` (setreuid(2)).
pub const SETREUID: u64 = 113;
/// `setregid` (setregid(2)).
pub const SETREGID: u64 = 114;
/// `getgroups` (getgroups(2)).
pub const GETGROUPS: u64 = 115;
/// `setgroups` (setgroups(2)).
pub const SETGROUPS: u64 = 116;
/// `setresuid` (setresuid(2)).
pub const SETRESUID: u64 = 117;
/// `getresuid` (getresuid(2)).
pub const GETRESUID: u64 = 118;
/// `setresgid` (setresgid(2)).
pub const SETRESGID: u64 = 119;
/// `getresgid` (getresgid(2)).
pub const GETRESGID: u64 = 120;
/// `getpgid` (getpgid(2)).
pub const GETPGID: u64 = 121;
/// `setfsuid` (setfsuid(2)).
pub const SETFSUID: u64 = 122;
/// `setfsgid` (setfsgid(2)).
pub const SETFSGID: u64 = 123;
/// `getsid` (getsid(2)).
pub const GETSID: u64 = 124;
/// `capget` (capget(2)).
pub const CAPGET: u64 = 125;
/// `capset` (capset(2)).
pub const CAPSET: u64 = 126;
/// `rt_sigpending` (rt_sigpending(2)).
pub const RT_SIGPENDING: u64 = 127;
/// `rt_sigtimedwait` (rt_sigtimedwait(2)).
pub const RT_SIGTIMEDWAIT: u64 = 128;
/// `rt_sigqueueinfo` (rt_sigqueueinfo(2)).
pub const RT_SIGQUEUEINFO: u64 = 129;
/// `rt_sigsuspend` (rt_sigsuspend(2)).
pub const RT_SIGSUSPEND: u64 = 130;
/// `sigaltstack` (sigaltstack(2)).
pub const SIGALTSTACK: u64 = 131;
/// `utime` (utime(2)).
pub const UTIME: u64 = 132;
/// `mknod` (mknod(2)).
pub const MKNOD: u64 = 133;
/// `uselib` (uselib(2)).
pub const USELIB: u64 = 134;
/// `personality` (personality(2)).
pub const PERSONALITY: u64 = 135;
/// `ustat` (ustat(2)).
pub const USTAT: u64 = 136;
/// `statfs` (statfs(2)).
pub const STATFS: u64 = 137;
/// `fstatfs` (fstatfs(2)).
pub const FSTATFS: u64 = 138;
/// `sysfs` (sysfs(2)).
pub const SYSFS: u64 = 139;
/// `getpriority` (getpriority(2)).
pub const GETPRIORITY: u64 = 140;
/// `setpriority` (setpriority(2)).
pub const SETPRIORITY: u64 = 141;
/// `sched_setparam` (sched_setparam(2)).
pub const SCHED_SETPARAM: u64 = 142;
/// `sched_getparam` (sched_getparam(2)).
pub const SCHED_GETPARAM: u64 = 143;
/// `sched_setscheduler` (sched_setscheduler(2)).
pub const SCHED_SETSCHEDULER: u64 = 144;
/// `sched_getscheduler` (sched_getscheduler(2)).
pub const SCHED_GETSCHEDULER: u64 = 145;
/// `sched_get_priority_max` (sched_get_priority_max(2)).
pub const SCHED_GET_PRIORITY_MAX: u64 = 146;
/// `sched_get_priority_min` (sched_get_priority_min(2)).
pub const SCHED_GET_PRIORITY_MIN: u64 = 147;
/// `sched_rr_get_interval` (sched_rr_get_interval(2)).
pub const SCHED_RR_GET_INTERVAL: u64 = 148;
/// `mlock` (mlock(2)).
pub const MLOCK: u64 = 149;
/// `munlock` (munlock(2)).
pub const MUNLOCK: u64 = 150;
/// `mlockall` (mlockall(2)).
pub const MLOCKALL: u64 = 151;
/// `munlockall` (munlockall(2)).
pub const MUNLOCKALL: u64 = 152;
/// `vhangup` (vhangup(2)).
pub const VHANGUP: u64 = 153;
/// `modify_ldt` (modify_ldt(2)).
pub const MODIFY_LDT: u64 = 154;
/// `pivot_root` (pivot_root(2)).
pub const PIVOT_ROOT: u64 = 155;
/// `_sysctl` (sysctl(2)).
pub const SYSCTL: u64 = 156;
/// `prctl` (prctl(2)).
pub const PRCTL: u64 = 157;
/// `arch_prctl` (arch_prctl(2)).
pub const ARCH_PRCTL: u64 = 158;
/// `adjtimex` (adjtimex(2)).
pub const ADJTIMEX: u64 = 159;
/// `setrlimit` (setrlimit(2)).
pub const SETRLIMIT: u64 = 160;
/// `chroot` (chroot(2)).
pub const CHROOT: u64 = 161;
/// `sync` (sync(2)).
pub const SYNC: u64 = 162;
/// `acct` (acct(2)).
pub const ACCT: u64 = 163;
/// `settimeofday` (settimeofday(2)).
pub const SETTIMEOFDAY: u64 = 164;
/// `mount` (mount(2)).
pub const MOUNT: u64 = 165;
/// `umount2` (umount2(2)).
pub const UMOUNT2: u64 = 166;
/// `swapon` (swapon(2)).
pub const SWAPON: u64 = 167;
/// `swapoff` (swapoff(2)).
pub const SWAPOFF: u64 = 168;
/// `reboot` (reboot(2)).
pub const REBOOT: u64 = 169;
/// `sethostname` (sethostname(2)).
pub const SETHOSTNAME: u64 = 170;
/// `setdomainname` (setdomainname(2)).
pub const SETDOMAINNAME: u64 = 171;
/// `iopl` (iopl(2)).
pub const IOPL: u64 = 172;
/// `ioperm` (ioperm(2)).
pub const IOPERM: u64 = 173;
/// `create_module` (create_module(2)).
pub const CREATE_MODULE: u64 = 174;
/// `init_module` (init_module(2)).
pub const INIT_MODULE: u64 = 175;
/// `delete_module` (delete_module(2)).
pub const DELETE_MODULE: u64 = 176;
/// `get_kernel_syms` (get_kernel_syms(2)).
pub const GET_KERNEL_SYMS: u64 = 177;
/// `query_module` (query_module(2)).
pub const QUERY_MODULE: u64 = 178;
/// `quotactl` (quotactl(2)).
pub const QUOTACTL: u64 = 179;
/// `nfsservctl` (nfsservctl(2)).
pub const NFSSERVCTL: u64 = 180;
/// `getpmsg` (getpmsg(2)).
pub const GETPMSG: u64 = 181;
/// `putpmsg` (putpmsg(2)).
pub const PUTPMSG: u64 = 182;
/// `afs_syscall` (afs_syscall(2)).
pub const AFS_SYSCALL: u64 = 183;
/// `tuxcall` (tuxcall(2)).
pub const TUXCALL: u64 = 184;
/// `security` (security(2)).
pub const SECURITY: u64 = 185;
/// `gettid` (gettid(2)).
pub const GETTID: u64 = 186;
/// `readahead` (readahead(2)).
pub const READAHEAD: u64 = 187;
/// `setxattr` (setxattr(2)).
pub const SETXATTR: u64 = 188;
/// `lsetxattr` (lsetxattr(2)).
pub const LSETXATTR: u64 = 189;
/// `fsetxattr` (fsetxattr(2)).
pub const FSETXATTR: u64 = 190;
/// `getxattr` (getxattr(2)).
pub const GETXATTR: u64 = 191;
/// `lgetxattr` (lgetxattr(2)).
pub const LGETXATTR: u64 = 192;
/// `fgetxattr` (fgetxattr(2)).
pub const FGETXATTR: u64 = 193;
/// `listxattr` (listxattr(2)).
pub const LISTXATTR: u64 = 194;
/// `llistxattr` (llistxattr(2)).
pub const LLISTXATTR: u64 = 195;
/// `flistxattr` (flistxattr(2)).
pub const FLISTXATTR: u64 = 196;
/// `removexattr` (removexattr(2)).
pub const REMOVEXATTR: u64 = 197;
/// `lremovexattr` (lremovexattr(2)).
pub const LREMOVEXATTR: u64 = 198;
/// `fremovexattr` (fremovexattr(2)).
pub const FREMOVEXATTR: u64 = 199;
/// `tkill` (tkill(2)).
pub const TKILL: u64 = 200;
/// `time` (time(2)).
pub const TIME: u64 = 201;
/// `futex` (futex(2)).
pub const FUTEX: u64 = 202;
/// `sched_setaffinity` (sched_setaffinity(2)).
pub const SCHED_SETAFFINITY: u64 = 203;
/// `sched_getaffinity` (sched_getaffinity(2)).
pub const SCHED_GETAFFINITY: u64 = 204;
/// `set_thread_area` (set_thread_area(2)).
pub const SET_THREAD_AREA: u64 = 205;
/// `io_setup` (io_setup(2)).
pub const IO_SETUP: u64 = 206;
/// `io_destroy` (io_destroy(2)).
pub const IO_DESTROY: u64 = 207;
/// `io_getevents` (io_getevents(2)).
pub const IO_GETEVENTS: u64 = 208;
/// `io_submit` (io_submit(2)).
pub const IO_SUBMIT: u64 = 209;
/// `io_cancel` (io_cancel(2)).
pub const IO_CANCEL: u64 = 210;
/// `get_thread_area` (get_thread_area(2)).
pub const GET_THREAD_AREA: u64 = 211;
/// `lookup_dcookie` (lookup_dcookie(2)).
pub const LOOKUP_DCOOKIE: u64 = 212;
/// `epoll_create` (epoll_create(2)).
pub const EPOLL_CREATE: u64 = 213;
/// `epoll_ctl_old` (epoll_ctl_old(2)).
pub const EPOLL_CTL_OLD: u64 = 214;
/// `epoll_wait_old` (epoll_wait_old(2)).
pub const EPOLL_WAIT_OLD: u64 = 215;
/// `remap_file_pages` (remap_file_pages(2)).
pub const REMAP_FILE_PAGES: u64 = 216;
/// `getdents64` (getdents64(2)).
pub const GETDENTS64: u64 = 217;
/// `set_tid_address` (set_tid_address(2)).
pub const SET_TID_ADDRESS: u64 = 218;
/// `restart_syscall` (restart_syscall(2)).
pub const RESTART_SYSCALL: u64 = 219;
/// `semtimedop` (semtimedop(2)).
pub const SEMTIMEDOP: u64 = 220;
/// `fadvise64` (fadvise64(2)).
pub const FADVISE64: u64 = 221;
/// `timer_create` (timer_create(2)).
pub const TIMER_CREATE: u64 = 222;
/// `timer_settime` (timer_settime(2)).
pub const TIMER_SETTIME: u64 = 223;
/// `timer_gettime` (timer_gettime(2)).
pub const TIMER_GETTIME: u64 = 224;
/// `timer_getoverrun` (timer_getoverrun(2)).
pub const TIMER_GETOVERRUN: u64 = 225;
/// `timer_delete` (timer_delete(2)).
pub const TIMER_DELETE: u64 = 226;
/// `clock_settime` (clock_settime(2)).
pub const CLOCK_SETTIME: u64 = 227;
/// `clock_gettime` (clock_gettime(2)).
pub const CLOCK_GETTIME: u64 = 228;
/// `clock_getres` (clock_getres(2)).
pub const CLOCK_GETRES: u64 = 229;
/// `clock_nanosleep` (clock_nanosleep(2)).
pub const CLOCK_NANOSLEEP: u64 = 230;
/// `exit_group` (exit_group(2)).
pub const EXIT_GROUP: u64 = 231;
/// `epoll_wait` (epoll_wait(2)).
pub const EPOLL_WAIT: u64 = 232;
/// `epoll_ctl` (epoll_ctl(2)).
pub const EPOLL_CTL: u64 = 233;
/// `tgkill` (tgkill(2)).
pub const TGKILL: u64 = 234;
/// `utimes` (utimes(2)).
pub const UTIMES: u64 = 235;
/// `vserver` (vserver(2)).
pub const VSERVER: u64 = 236;
/// `mbind` (mbind(2)).
pub const MBIND: u64 = 237;
/// `set_mempolicy` (set_mempolicy(2)).
pub const SET_MEMPOLICY: u64 = 238;
/// `get_mempolicy` (get_mempolicy(2)).
pub const GET_MEMPOLICY: u64 = 239;
/// `mq_open` (mq_open(2)).
pub const MQ_OPEN: u64 = 240;
/// `mq_unlink` (mq_unlink(2)).
pub const MQ_UNLINK: u64 = 241;
/// `mq_timedsend` (mq_timedsend(2)).
pub const MQ_TIMEDSEND: u64 = 242;
/// `mq_timedreceive` (mq_timedreceive(2)).
pub const MQ_TIMEDRECEIVE: u64 = 243;
/// `mq_notify` (mq_notify(2)).
pub const MQ_NOTIFY: u64 = 244;
/// `mq_getsetattr` (mq_getsetattr(2)).
pub const MQ_GETSETATTR: u64 = 245;
/// `kexec_load` (kexec_load(2)).
pub const KEXEC_LOAD: u64 = 246;
/// `waitid` (waitid(2)).
pub const WAITID: u64 = 247;
/// `add_key` (add_key(2)).
pub const ADD_KEY: u64 = 248;
/// `request_key` (request_key(2)).
pub const REQUEST_KEY: u64 = 249;
/// `keyctl` (keyctl(2)).
pub const KEYCTL: u64 = 250;
/// `ioprio_set` (ioprio_set(2)).
pub const IOPRIO_SET: u64 = 251;
/// `ioprio_get` (ioprio_get(2)).
pub const IOPRIO_GET: u64 = 252;
/// `inotify_init` (inotify_init(2)).
pub const INOTIFY_INIT: u64 = 253;
/// `inotify_add_watch` (inotify_add_watch(2)).
pub const INOTIFY_ADD_WATCH: u64 = 254;
/// `inotify_rm_watch` (inotify_rm_watch(2)).
pub const INOTIFY_RM_WATCH: u64 = 255;
/// `migrate_pages` (migrate_pages(2)).
pub const MIGRATE_PAGES: u64 = 256;
/// `openat` (openat(2)).
pub const OPENAT: u64 = 257;
/// `mkdirat` (mkdirat(2)).
pub const MKDIRAT: u64 = 258;
/// `mknodat` (mknodat(2)).
pub const MKNODAT: u64 = 259;
/// `fchownat` (fchownat(2)).
pub const FCHOWNAT: u64 = 260;
/// `futimesat` (futimesat(2)).
pub const FUTIMESAT: u64 = 261;
/// `newfstatat` (newfstatat(2)).
pub const NEWFSTATAT: u64 = 262;
/// `unlinkat` (unlinkat(2)).
pub const UNLINKAT: u64 = 263;
/// `renameat` (renameat(2)).
pub const RENAMEAT: u64 = 264;
/// `linkat` (linkat(2)).
pub const LINKAT: u64 = 265;
/// `symlinkat` (symlinkat(2)).
pub const SYMLINKAT: u64 = 266;
/// `readlinkat` (readlinkat(2)).
pub const READLINKAT: u64 = 267;
/// `fchmodat` (fchmodat(2)).
pub const FCHMODAT: u64 = 268;
/// `faccessat` (faccessat(2)).
pub const FACCESSAT: u64 = 269;
/// `pselect6` (pselect6(2)).
pub const PSELECT6: u64 = 270;
/// `ppoll` (ppoll(2)).
pub const PPOLL: u64 = 271;
/// `unshare` (unshare(2)).
pub const UNSHARE: u64 = 272;
/// `set_robust_list` (set_robust_list(2)).
pub const SET_ROBUST_LIST: u64 = 273;
/// `get_robust_list` (get_robust_list(2)).
pub const GET_ROBUST_LIST: u64 = 274;
/// `splice` (splice(2)).
pub const SPLICE: u64 = 275;
/// `tee` (tee(2)).
pub const TEE: u64 = 276;
/// `sync_file_range` (sync_file_range(2)).
pub const SYNC_FILE_RANGE: u64 = 277;
/// `vmsplice` (vmsplice(2)).
pub const VMSPLICE: u64 = 278;
/// `move_pages` (move_pages(2)).
pub const MOVE_PAGES: u64 = 279;
/// `utimensat` (utimensat(2)).
pub const UTIMENSAT: u64 = 280;
/// `epoll_pwait` (epoll_pwait(2)).
pub const EPOLL_PWAIT: u64 = 281;
/// `signalfd` (signalfd(2)).
pub const SIGNALFD: u64 = 282;
/// `timerfd_create` (timerfd_create(2)).
pub const TIMERFD_CREATE: u64 = 283;
/// `eventfd` (eventfd(2)).
pub const EVENTFD: u64 = 284;
/// `fallocate` (fallocate(2)).
pub const FALLOCATE: u64 = 285;
/// `timerfd_settime` (timerfd_settime(2)).
pub const TIMERFD_SETTIME: u64 = 286;
/// `timerfd_gettime` (timerfd_gettime(2)).
pub const TIMERFD_GETTIME: u64 = 287;
/// `accept4` (accept4(2)).
pub const ACCEPT4: u64 = 288;
/// `signalfd4` (signalfd4(2)).
pub const SIGNALFD4: u64 = 289;
/// `eventfd2` (eventfd2(2)).
pub const EVENTFD2: u64 = 290;
/// `epoll_create1` (epoll_create1(2)).
pub const EPOLL_CREATE1: u64 = 291;
/// `dup3` (dup3(2)).
pub const DUP3: u64 = 292;
/// `pipe2` (pipe2(2)).
pub const PIPE2: u64 = 293;
/// `inotify_init1` (inotify_init1(2)).
pub const INOTIFY_INIT1: u64 = 294;
/// `preadv` (preadv(2)).
pub const PREADV: u64 = 295;
/// `pwritev` (pwritev(2)).
pub const PWRITEV: u64 = 296;
/// `rt_tgsigqueueinfo` (rt_tgsigqueueinfo(2)).
pub const RT_TGSIGQUEUEINFO: u64 = 297;
/// `perf_event_open` (perf_event_open(2)).
pub const PERF_EVENT_OPEN: u64 = 298;
/// `recvmmsg` (recvmmsg(2)).
pub const RECVMMSG: u64 = 299;
/// `fanotify_init` (fanotify_init(2)).
pub const FANOTIFY_INIT: u64 = 300;
/// `fanotify_mark` (fanotify_mark(2)).
pub const FANOTIFY_MARK: u64 = 301;
/// `prlimit64` (prlimit64(2)).
pub const PRLIMIT64: u64 = 302;
/// `name_to_handle_at` (name_to_handle_at(2)).
pub const NAME_TO_HANDLE_AT: u64 = 303;
/// `open_by_handle_at` (open_by_handle_at(2)).
pub const OPEN_BY_HANDLE_AT: u64 = 304;
/// `clock_adjtime` (clock_adjtime(2)).
pub const CLOCK_ADJTIME: u64 = 305;
/// `syncfs` (syncfs(2)).
pub const SYNCFS: u64 = 306;
/// `sendmmsg` (sendmmsg(2)).
pub const SENDMMSG: u64 = 307;
/// `setns` (setns(2)).
pub const SETNS: u64 = 308;
/// `getcpu` (getcpu(2)).
pub const GETCPU: u64 = 309;
/// `process_vm_readv` (process_vm_readv(2)).
pub const PROCESS_VM_READV: u64 = 310;
/// `process_vm_writev` (process_vm_writev(2)).
pub const PROCESS_VM_WRITEV: u64 = 311;
/// `kcmp` (kcmp(2)).
pub const KCMP: u64 = 312;
/// `finit_module` (finit_module(2)).
pub const FINIT_MODULE: u64 = 313;
/// `sched_setattr` (sched_setattr(2)).
pub const SCHED_SETATTR: u64 = 314;
/// `sched_getattr` (sched_getattr(2)).
pub const SCHED_GETATTR: u64 = 315;
/// `renameat2` (renameat2(2)).
pub const RENAMEAT2: u64 = 316;
/// `seccomp` (seccomp(2)).
pub const SECCOMP: u64 = 317;
/// `getrandom` (getrandom(2)).
pub const GETRANDOM: u64 = 318;
/// `memfd_create` (memfd_create(2)).
pub const MEMFD_CREATE: u64 = 319;
/// `kexec_file_load` (kexec_file_load(2)).
pub const KEXEC_FILE_LOAD: u64 = 320;
/// `bpf` (bpf(2)).
pub const BPF: u64 = 321;
/// `execveat` (execveat(2)).
pub const EXECVEAT: u64 = 322;
/// `userfaultfd` (userfaultfd(2)).
pub const USERFAULTFD: u64 = 323;
/// `membarrier` (membarrier(2)).
pub const MEMBARRIER: u64 = 324;
/// `mlock2` (mlock2(2)).
pub const MLOCK2: u64 = 325;
/// `copy_file_range` (copy_file_range(2)).
pub const COPY_FILE_RANGE: u64 = 326;
/// `preadv2` (preadv2(2)).
pub const PREADV2: u64 = 327;
/// `pwritev2` (pwritev2(2)).
pub const PWRITEV2: u64 = 328;
/// `pkey_mprotect` (pkey_mprotect(2)).
pub const PKEY_MPROTECT: u64 = 329;
/// `pkey_alloc` (pkey_alloc(2)).
pub const PKEY_ALLOC: u64 = 330;
/// `pkey_free` (pkey_free(2)).
pub const PKEY_FREE: u64 = 331;
/// `statx` (statx(2)).
pub const STATX: u64 = 332;
/// `io_pgetevents` (io_pgetevents(2)).
pub const IO_PGETEVENTS: u64 = 333;
/// `rseq` (rseq(2)).
pub const RSEQ: u64 = 334;
/// `pidfd_send_signal` (pidfd_send_signal(2)).
pub const PIDFD_SEND_SIGNAL: u64 = 424;
/// `io_uring_setup` (io_uring_setup(2)).
pub const IO_URING_SETUP: u64 = 425;
/// `io_uring_enter` (io_uring_enter(2)).
pub const IO_URING_ENTER: u64 = 426;
/// `io_uring_register` (io_uring_register(2)).
pub const IO_URING_REGISTER: u64 = 427;
/// `open_tree` (open_tree(2)).
pub const OPEN_TREE: u64 = 428;
/// `move_mount` (move_mount(2)).
pub const MOVE_MOUNT: u64 = 429;
/// `fsopen` (fsopen(2)).
pub const FSOPEN: u64 = 430;
/// `fsconfig` (fsconfig(2)).
pub const FSCONFIG: u64 = 431;
/// `fsmount` (fsmount(2)).
pub const FSMOUNT: u64 = 432;
/// `fspick` (fspick(2)).
pub const FSPICK: u64 = 433;
/// `pidfd_open` (pidfd_open(2)).
pub const PIDFD_OPEN: u64 = 434;
/// `clone3` (clone3(2)).
pub const CLONE3: u64 = 435;
/// `close_range` (close_range(2)).
pub const CLOSE_RANGE: u64 = 436;
/// `openat2` (openat2(2)).
pub const OPENAT2: u64 = 437;
/// `pidfd_getfd` (pidfd_getfd(2)).
pub const PIDFD_GETFD: u64 = 438;
/// `faccessat2` (faccessat2(2)).
pub const FACCESSAT2: u64 = 439;
/// `process_madvise` (process_madvise(2)).
pub const PROCESS_MADVISE: u64 = 440;
/// `epoll_pwait2` (epoll_pwait2(2)).
pub const EPOLL_PWAIT2: u64 = 441;
/// `mount_setattr` (mount_setattr(2)).
pub const MOUNT_SETATTR: u64 = 442;
/// `quotactl_fd` (quotactl_fd(2)).
pub const QUOTACTL_FD: u64 = 443;
/// `landlock_create_ruleset` (landlock_create_ruleset(2)).
pub const LANDLOCK_CREATE_RULESET: u64 = 444;
/// `landlock_add_rule` (landlock_add_rule(2)).
pub const LANDLOCK_ADD_RULE: u64 = 445;
/// `landlock_restrict_self` (landlock_restrict_self(2)).
pub const LANDLOCK_RESTRICT_SELF: u64 = 446;
/// `memfd_secret` (memfd_secret(2)).
pub const MEMFD_SECRET: u64 = 447;
/// `process_mrelease` (process_mrelease(2)).
pub const PROCESS_MRELEASE: u64 = 448;
/// `futex_waitv` (futex_waitv(2)).
pub const FUTEX_WAITV: u64 = 449;
/// `set_mempolicy_home_node` (set_mempolicy_home_node(2)).
pub const SET_MEMPOLICY_HOME_NODE: u64 = 450;

const LOW: [&str; 335] = [
    "read",
    "write",
    "open",
    "close",
    "stat",
    "fstat",
    "lstat",
    "poll",
    "lseek",
    "mmap",
    "mprotect",
    "munmap",
    "brk",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "ioctl",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "access",
    "pipe",
    "select",
    "sched_yield",
    "mremap",
    "msync",
    "mincore",
    "madvise",
    "shmget",
    "shmat",
    "shmctl",
    "dup",
    "dup2",
    "pause",
    "nanosleep",
    "getitimer",
    "alarm",
    "setitimer",
    "getpid",
    "sendfile",
    "socket",
    "connect",
    "accept",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "shutdown",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "socketpair",
    "setsockopt",
    "getsockopt",
    "clone",
    "fork",
    "vfork",
    "execve",
    "exit",
    "wait4",
    "kill",
    "uname",
    "semget",
    "semop",
    "semctl",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "truncate",
    "ftruncate",
    "getdents",
    "getcwd",
    "chdir",
    "fchdir",
    "rename",
    "mkdir",
    "rmdir",
    "creat",
    "link",
    "unlink",
    "symlink",
    "readlink",
    "chmod",
    "fchmod",
    "chown",
    "fchown",
    "lchown",
    "umask",
    "gettimeofday",
    "getrlimit",
    "getrusage",
    "sysinfo",
    "times",
    "ptrace",
    "getuid",
    "syslog",
    "getgid",
    "setuid",
    "setgid",
    "geteuid",
    "getegid",
    "setpgid",
    "getppid",
    "getpgrp",
    "setsid",
    "setreuid",
    "setregid",
    "getgroups",
    "setgroups",
    "setresuid",
    "getresuid",
    "setresgid",
    "getresgid",
    "getpgid",
    "setfsuid",
    "setfsgid",
    "getsid",
    "capget",
    "capset",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "sigaltstack",
    "utime",
    "mknod",
    "uselib",
    "personality",
    "ustat",
    "statfs",
    "fstatfs",
    "sysfs",
    "getpriority",
    "setpriority",
    "sched_setparam",
    "sched_getparam",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_rr_get_interval",
    "mlock",
    "munlock",
    "mlockall",
    "munlockall",
    "vhangup",
    "modify_ldt",
    "pivot_root",
    "_sysctl",
    "prctl",
    "arch_prctl",
    "adjtimex",
    "setrlimit",
    "chroot",
    "sync",
    "acct",
    "settimeofday",
    "mount",
    "umount2",
    "swapon",
    "swapoff",
    "reboot",
    "sethostname",
    "setdomainname",
    "iopl",
    "ioperm",
    "create_module",
    "init_module",
    "delete_module",
    "get_kernel_syms",
    "query_module",
    "quotactl",
    "nfsservctl",
    "getpmsg",
    "putpmsg",
    "afs_syscall",
    "tuxcall",
    "security",
    "gettid",
    "readahead",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "tkill",
    "time",
    "futex",
    "sched_setaffinity",
    "sched_getaffinity",
    "set_thread_area",
    "io_setup",
    "io_destroy",
    "io_getevents",
    "io_submit",
    "io_cancel",
    "get_thread_area",
    "lookup_dcookie",
    "epoll_create",
    "epoll_ctl_old",
    "epoll_wait_old",
    "remap_file_pages",
    "getdents64",
    "set_tid_address",
    "restart_syscall",
    "semtimedop",
    "fadvise64",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    "clock_settime",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "exit_group",
    "epoll_wait",
    "epoll_ctl",
    "tgkill",
    "utimes",
    "vserver",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "kexec_load",
    "waitid",
    "add_key",
    "request_key",
    "keyctl",
    "ioprio_set",
    "ioprio_get",
    "inotify_init",
    "inotify_add_watch",
    "inotify_rm_watch",
    "migrate_pages",
    "openat",
    "mkdirat",
    "mknodat",
    "fchownat",
    "futimesat",
    "newfstatat",
    "unlinkat",
    "renameat",
    "linkat",
    "symlinkat",
    "readlinkat",
    "fchmodat",
    "faccessat",
    "pselect6",
    "ppoll",
    "unshare",
    "set_robust_list",
    "get_robust_list",
    "splice",
    "tee",
    "sync_file_range",
    "vmsplice",
    "move_pages",
    "utimensat",
    "epoll_pwait",
    "signalfd",
    "timerfd_create",
    "eventfd",
    "fallocate",
    "timerfd_settime",
    "timerfd_gettime",
    "accept4",
    "signalfd4",
    "eventfd2",
    "epoll_create1",
    "dup3",
    "pipe2",
    "inotify_init1",
    "preadv",
    "pwritev",
    "rt_tgsigqueueinfo",
    "perf_event_open",
    "recvmmsg",
    "fanotify_init",
    "fanotify_mark",
    "prlimit64",
    "name_to_handle_at",
    "open_by_handle_at",
    "clock_adjtime",
    "syncfs",
    "sendmmsg",
    "setns",
    "getcpu",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "finit_module",
    "sched_setattr",
    "sched_getattr",
    "renameat2",
    "seccomp",
    "getrandom",
    "memfd_create",
    "kexec_file_load",
    "bpf",
    "execveat",
    "userfaultfd",
    "membarrier",
    "mlock2",
    "copy_file_range",
    "preadv2",
    "pwritev2",
    "pkey_mprotect",
    "pkey_alloc",
    "pkey_free",
    "statx",
    "io_pgetevents",
    "rseq",
];

const HIGH: [&str; 27] = [
    "pidfd_send_signal",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
    "process_madvise",
    "epoll_pwait2",
    "mount_setattr",
    "quotactl_fd",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "memfd_secret",
    "process_mrelease",
    "futex_waitv",
    "set_mempolicy_home_node",
];

/// The name of system call `nr` in the 64-bit table, `None` for a number
/// Linux does not define (335..=423 are unused; 512.. are x32).
pub fn name(nr: u64) -> Option<&'static str> {
    match nr {
        0..=334 => Some(LOW[nr as usize]),
        424..=MAX => Some(HIGH[(nr - 424) as usize]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_numbers() {
        // Spot checks against syscall_64.tbl.
        assert_eq!((READ, WRITE, OPEN, CLOSE), (0, 1, 2, 3));
        assert_eq!((GETPID, EXIT, UNAME, GETPPID), (39, 60, 63, 110));
        assert_eq!((ARCH_PRCTL, GETTID, FUTEX, GETDENTS64), (158, 186, 202, 217));
        assert_eq!((SET_TID_ADDRESS, CLOCK_GETTIME, EXIT_GROUP, OPENAT), (218, 228, 231, 257));
        assert_eq!((NEWFSTATAT, SET_ROBUST_LIST, PIPE2, PRLIMIT64), (262, 273, 293, 302));
        assert_eq!((GETRANDOM, STATX, RSEQ, CLONE3, FACCESSAT2), (318, 332, 334, 435, 439));
        assert_eq!(name(GETPPID), Some("getppid"));
        assert_eq!(name(MAX), Some("set_mempolicy_home_node"));
    }

    #[test]
    fn unknown_numbers_have_no_name() {
        for n in [335, 400, 423, 451, 512, 547, u64::MAX, 1 << 63] {
            assert_eq!(name(n), None, "{n}");
        }
    }
}

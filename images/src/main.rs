//! `images`: build Rampart and run it (the README's run command).
//!
//! ```text
//! cargo run -p images -- run            # build everything, boot in QEMU
//! cargo run -p images -- run --iso uefi # boot the GRUB ISO under OVMF
//! cargo run -p images -- run --policy mls  # boot with the MLS policy
//! cargo run -p images -- iso            # build target/images/rampart.iso
//! cargo run -p images -- run -c 'echo hi; exit 3'   # run commands, exit with their status
//! ```

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use images::build::{BuildOptions, build_all};
use images::qemu::{Accel, Boot, Machine, QemuConfig, Serial, guest_exit_code, resolve_accel};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "images", about = "Build Rampart images and run them in QEMU")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum IsoFirmware {
    Bios,
    Uefi,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LinuxBench {
    /// Read /data/bench-64m from the disk with dd.
    Read,
    /// Serve /www from the disk with busybox httpd on port 80.
    Httpd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BenchWhat {
    /// HTTP: Rampart's httpd against busybox httpd on the Linux guest.
    Httpd,
    /// Sequential read of a 64 MiB file through the file server against
    /// the Linux guest's dd on the same image.
    Read,
}

#[derive(Subcommand)]
enum Cmd {
    /// Measure Rampart against the Linux reference guest in the same QEMU
    /// (docs/performance.md).
    Bench {
        /// What to measure.
        #[arg(value_enum)]
        what: BenchWhat,
        /// Measure Rampart only.
        #[arg(long)]
        no_linux: bool,
    },
    /// Print the kernel's lines of code and `unsafe` uses per file.
    KernelStats,
    /// Boot the Linux reference guest (Debian cloud kernel + busybox) on a
    /// disk image, for comparisons in the same QEMU.
    Linux {
        /// What the guest runs.
        #[arg(long, value_enum, default_value_t = LinuxBench::Read)]
        bench: LinuxBench,
        /// The ext4 image attached as virtio-blk (default: target/images/rootfs.ext4).
        #[arg(long)]
        disk: Option<std::path::PathBuf>,
        /// Host-forward rules for the NIC, e.g. tcp::8081-:80.
        #[arg(long)]
        hostfwd: Vec<String>,
    },
    /// Build the kernels, every program and the boot-module archive.
    Build {
        /// Build only the kernels.
        #[arg(long)]
        kernel_only: bool,
        /// Show cargo's progress.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Build the hybrid BIOS+UEFI GRUB ISO.
    Iso {
        /// Kernel command line.
        #[arg(long, default_value = "")]
        append: String,
    },
    /// Build the ext4 root file system image (target/images/rootfs.ext4).
    Rootfs {
        /// Image size in MiB.
        #[arg(long, default_value_t = 128)]
        size: u32,
        /// Add the 64 MiB benchmark file /data/bench-64m.
        #[arg(long)]
        bench: bool,
    },
    /// Copy a file or directory out of a root disk image after a run
    /// (default disk: the last `images run`'s).
    Cp {
        /// The disk image.
        #[arg(long)]
        disk: Option<PathBuf>,
        /// Path in the guest (`/var/log/messages`).
        guest: String,
        /// Where to put it on the host.
        host: PathBuf,
    },
    /// Build everything and boot it in QEMU with the console on this terminal.
    Run {
        /// QEMU machine type.
        #[arg(long, value_enum, default_value_t = Machine::Pc)]
        machine: Machine,
        /// Accelerator (auto: KVM only where a probe boot proves ring 3 works).
        #[arg(long, value_enum, default_value_t = Accel::Auto)]
        accel: Accel,
        /// Boot the GRUB ISO under this firmware instead of PVH.
        #[arg(long, value_enum)]
        iso: Option<IsoFirmware>,
        /// Count instructions exactly (`-icount shift=0,align=off,sleep=off`; TCG).
        #[arg(long)]
        icount: bool,
        /// Guest memory in MiB.
        #[arg(short, long, default_value_t = 512)]
        memory: u32,
        /// Virtual CPUs (`-smp N`; under TCG one host thread each, MTTCG).
        /// Default: the host's CPU count under KVM, 1 under TCG. The kernel
        /// starts every one (docs/kernel.md, "Multicore").
        #[arg(long)]
        smp: Option<u32>,
        /// Kernel command line.
        #[arg(long, default_value = "")]
        append: String,
        /// The security policy to boot with: a shipped variant (te, mls,
        /// biba, allow-all), or your own: policy sources (`.pol` files and
        /// directories, comma-separated; compiled and refused unless `polc
        /// check` passes) or a binary policy; the root disk is labelled by
        /// its file contexts. Adds `policy=NAME` to the command line.
        #[arg(long)]
        policy: Option<String>,
        /// Put a host file or directory on this run's root disk at GUEST
        /// (`HOST:/GUEST/PATH`, repeatable), labelled by the policy.
        #[arg(long, value_name = "HOST:GUEST")]
        add: Vec<String>,
        /// Show cargo's progress and every system message on the console
        /// (`loglevel=7`; without it the console is quiet: the banner,
        /// errors and the session; `dmesg` shows the rest).
        #[arg(short, long)]
        verbose: bool,
        /// More raw disk images attached as virtio-blk after the root disk
        /// (repeatable; devmgr names them blk1, blk2, ...).
        #[arg(long)]
        disk: Vec<String>,
        /// Network: `user` (virtio-net on QEMU user networking, the
        /// default) or `none`.
        #[arg(long, default_value = "user")]
        net: String,
        /// Host port forwards for user networking (`tcp::8080-:80`, repeatable).
        #[arg(long)]
        hostfwd: Vec<String>,
        /// Run these shell commands (as typed at the prompt) instead of an
        /// interactive session; the runner prints their output and exits
        /// with the shell's status.
        #[arg(short = 'c', long = "command")]
        command: Option<String>,
        /// The root file system disk (virtio-blk `blk0`) to boot on and keep
        /// changes in; default: a fresh copy of target/images/root.ext4 for
        /// every run.
        #[arg(long)]
        root_disk: Option<std::path::PathBuf>,
        /// How the root disk is attached: `virtio` (virtio-blk, the
        /// default) or `nvme` (an NVMe controller served by `nvmedrv`,
        /// docs/hardware.md). Either way devmgr names it `blk0`.
        #[arg(long, value_enum, default_value_t = DiskBus::Virtio)]
        disk_bus: DiskBus,
        /// Boot the test kernel: the `Debug*` system calls and every kernel
        /// log record echoed to the serial console, for the in-guest test
        /// programs (`--append root=ktest`); implied by `root=` and
        /// `init.test=` (docs/kernel-tests.md).
        #[arg(long)]
        test_kernel: bool,
        /// Attach a virtio-gpu display, keyboard and tablet and start the
        /// GUI server (docs/gui.md). The window stays headless
        /// (`-display none`) unless QEMU arguments after `--` choose one,
        /// e.g. `-- -display vnc=:1`.
        #[arg(long)]
        display: bool,
        /// Extra arguments passed to QEMU.
        #[arg(last = true)]
        qemu_args: Vec<String>,
    },
}

/// The bus of the root disk (`images run --disk-bus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DiskBus {
    /// virtio-blk-pci (`blkdrv`).
    Virtio,
    /// An NVMe controller (`nvmedrv`).
    Nvme,
}

/// QEMU arguments for `--disk`, `--net` and `--hostfwd` (docs/devices.md).
fn device_args(disk: &[String], net: &str, hostfwd: &[String]) -> Vec<String> {
    let mut a = Vec::new();
    // The root disk is virtio-blk 0 (`--root-disk`); these come after it.
    let disks: Vec<std::path::PathBuf> =
        disk.iter().filter(|d| d.as_str() != "none").map(std::path::PathBuf::from).collect();
    for (i, d) in disks.iter().enumerate() {
        a.extend(images::devices::disk_args(d, i + 1));
    }
    if net == "user" {
        a.extend(images::devices::net_args(hostfwd));
    }
    a
}

/// Artifacts are not needed to boot the Linux guest; `QemuConfig::command`
/// only reads them for Rampart boots.
fn build_stub() -> images::build::Artifacts {
    images::build::Artifacts::default()
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Cmd::KernelStats = cli.cmd {
        let stats = images::stats::kernel_stats()?;
        println!("{:<50} {:>6} {:>7} {:>6}", "file", "code", "unsafe{}", "items");
        for f in &stats {
            println!("{:<50} {:>6} {:>7} {:>6}", f.path, f.code_lines, f.unsafe_blocks, f.unsafe_items);
        }
        let (c, b, i) =
            stats.iter().fold((0, 0, 0), |a, f| (a.0 + f.code_lines, a.1 + f.unsafe_blocks, a.2 + f.unsafe_items));
        println!("{:<50} {:>6} {:>7} {:>6}", "total", c, b, i);
        return Ok(());
    }
    images::packages::ensure()?;
    match cli.cmd {
        Cmd::KernelStats => unreachable!("handled above"),
        Cmd::Bench { what: BenchWhat::Httpd, no_linux } => {
            eprintln!("images: Rampart httpd (TCG, q35; {} s per measurement)", images::bench::WINDOW.as_secs());
            let r = images::bench::rampart()?;
            println!("rampart: {r:?}");
            if no_linux {
                return Ok(());
            }
            eprintln!("images: Linux busybox httpd in the same QEMU");
            let l = images::bench::linux()?;
            println!("linux: {l:?}");
            print!("{}", images::bench::table(&r, &l));
        }
        Cmd::Bench { what: BenchWhat::Read, no_linux } => {
            let art = build_all(&BuildOptions::default())?;
            let r = images::readbench::run(&art, !no_linux)?;
            println!("{}", images::readbench::summary(&r));
        }
        Cmd::Linux { bench, disk, hostfwd } => {
            let g = images::linux::linux_guest()?;
            let disk = disk.unwrap_or_else(|| images::images_dir().join("rootfs.ext4"));
            let name = if bench == LinuxBench::Read { "read" } else { "httpd" };
            let mut extra = images::devices::disk_args(&disk, 0);
            extra.extend(images::devices::net_args(&hostfwd));
            let cfg = QemuConfig {
                machine: Machine::Q35,
                boot: Boot::Linux { kernel: g.kernel, initrd: g.initrd },
                accel: Accel::Tcg,
                memory_mib: 512,
                cmdline: format!("console=ttyS0 quiet panic=-1 rampart.bench={name}"),
                icount: false,
                disk: None,
                extra,
                test_kernel: false,
                loglevel: None,
            };
            let status = cfg.command(&build_stub())?.status()?;
            std::process::exit(status.code().unwrap_or(1));
        }
        Cmd::Build { kernel_only, verbose } => {
            let opts = BuildOptions { verbose };
            if kernel_only {
                println!("kernel: {}", images::build::build_kernel(false, &opts)?.display());
                println!("test kernel: {}", images::build::build_kernel(true, &opts)?.display());
            } else {
                let art = build_all(&opts)?;
                println!(
                    "kernel: {}\ntest kernel: {}\nbootfs: {}",
                    art.kernel.display(),
                    art.test_kernel.display(),
                    art.bootfs.display()
                );
            }
        }
        Cmd::Iso { append } => {
            let art = build_all(&BuildOptions::default())?;
            let iso = images::iso::build_iso(&art, &append)?;
            println!("{}", iso.display());
        }
        Cmd::Cp { disk, guest, host } => {
            let disk = disk.unwrap_or_else(|| images::images_dir().join("disk-run.img"));
            images::custom::copy_out(&disk, &guest, &host)?;
        }
        Cmd::Rootfs { size, bench } => {
            let opts = images::rootfs::RootfsOptions { size_mib: size, bench_file: bench, ..Default::default() };
            println!("{}", images::rootfs::build(&opts)?.display());
        }
        Cmd::Run {
            machine,
            accel,
            iso,
            icount,
            memory,
            smp,
            mut append,
            policy,
            add,
            verbose,
            disk,
            net,
            hostfwd,
            command,
            root_disk,
            disk_bus,
            test_kernel,
            display,
            mut qemu_args,
        } => {
            let test_kernel = test_kernel || append.contains("root=") || append.contains("init.test=");
            // microvm has no PCI bus: no virtio-pci disks or NICs there
            // (the in-guest test programs and benchmarks need none).
            let microvm = machine == Machine::Microvm;
            if !microvm {
                qemu_args.splice(0..0, device_args(&disk, &net, &hostfwd));
            }
            if display && !microvm {
                qemu_args.splice(0..0, images::devices::display_args());
                if !append.contains("init.secure=") {
                    append = format!("{append} init.secure={}", images::devices::GUI_SERVER).trim().to_string();
                }
            }
            let policy = policy.as_deref().map(images::custom::parse_policy).transpose()?;
            let adds = add.iter().map(|a| images::custom::parse_add(a)).collect::<Result<Vec<_>>>()?;
            if !append.contains("init.first=") && !append.contains("init.test=") {
                let first = if command.is_some() { "login:batch" } else { "login" };
                append = format!("{append} init.first={first}").trim().to_string();
            }
            // Quiet unless asked (docs/console.md); test kernels run the
            // in-guest test programs, whose output is their log lines.
            let loglevel = if verbose {
                Some(images::qemu::LOGLEVEL_VERBOSE)
            } else if test_kernel {
                Some(images::qemu::LOGLEVEL_ALL)
            } else {
                None
            };
            let art = build_all(&BuildOptions { verbose })?;
            let run = images::custom::prepare(&art, policy.as_ref(), &adds, "run")?;
            if let Some(p) = &run.policy {
                append = format!("{append} policy={p}").trim().to_string();
            }
            let append = images::qemu::with_loglevel(&append, loglevel);
            let art = run.art;
            let root_disk = root_disk.unwrap_or(run.disk);
            let boot = match iso {
                None => Boot::Pvh,
                Some(IsoFirmware::Bios) => Boot::IsoBios(images::iso::build_iso(&art, &append)?),
                Some(IsoFirmware::Uefi) => Boot::IsoUefi(images::iso::build_iso(&art, &append)?),
            };
            let accel = if icount { Accel::Tcg } else { resolve_accel(accel, &art) };
            let host_cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
            let cpus = smp.unwrap_or(if accel == Accel::Kvm { host_cpus } else { 1 }).max(1);
            if cpus > 1 {
                qemu_args.splice(0..0, images::qemu::smp_args(cpus));
            }
            // An NVMe root disk goes first on the bus (QEMU numbers slots in
            // argument order), so devmgr names it blk0 before any `--disk`.
            let nvme = disk_bus == DiskBus::Nvme && !microvm;
            if nvme {
                qemu_args.splice(0..0, images::devices::nvme_disk_args(&root_disk, 0));
            }
            let cfg = QemuConfig {
                machine,
                boot,
                accel,
                memory_mib: memory,
                cmdline: append,
                icount,
                disk: if microvm || nvme { None } else { Some(root_disk) },
                extra: qemu_args,
                test_kernel,
                loglevel,
            };
            // On a terminal, the user's terminal (raw) becomes the guest's,
            // with QEMU's `Ctrl-A` keys (docs/build.md, "Running").
            let interactive = command.is_none() && images::terminal::interactive();
            let sock = images::terminal::socket_path();
            let serial = if interactive { Serial::MuxSocket(sock.clone()) } else { Serial::Stdio };
            let mut cmd = cfg.command_on(&art, &serial)?;
            if let Some(script) = command {
                std::process::exit(images::batch::run(cmd, &script)?);
            }
            let t = Instant::now();
            let code = if interactive {
                eprintln!("images: booting ({machine:?}, {accel:?}); the guest powers off when done");
                images::terminal::run(cmd, &sock)?
            } else {
                eprintln!(
                    "images: booting ({machine:?}, {accel:?}); the guest powers off when done, Ctrl-C stops QEMU"
                );
                cmd.status()?.code().unwrap_or(-1)
            };
            eprintln!("images: QEMU exited after {:.2} s", t.elapsed().as_secs_f64());
            std::process::exit(guest_exit_code(code).map_or(code, |c| c as i32));
        }
    }
    Ok(())
}

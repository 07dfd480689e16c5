//! The kernel's text must contain no SSE/AVX/x87 instruction: the kernel
//! never saves FPU state on entry, so touching those registers would corrupt
//! user state (docs/architecture.md, "Kernel"). The state-switch instructions themselves
//! (fxsave/fxrstor/xsave*/xrstor*) are the one allowed exception.

use rampart_tests::artifacts;
use std::process::Command;

/// Returns the offending disassembly lines.
fn fpu_instructions(disasm: &str) -> Vec<String> {
    const X87: &[&str] = &[
        "fld", "fst", "fstp", "fild", "fist", "fistp", "fisttp", "finit", "fninit", "fxch", "fadd", "faddp", "fsub",
        "fsubp", "fsubr", "fmul", "fmulp", "fdiv", "fdivp", "fdivr", "fcom", "fcomp", "fcomi", "fucomi", "fucomip",
        "fchs", "fabs", "fsqrt", "fldz", "fld1", "fnstcw", "fldcw", "fnstsw", "fwait", "emms", "ldmxcsr", "stmxcsr",
        "vldmxcsr", "vstmxcsr",
    ];
    const ALLOWED: &[&str] = &[
        "fxsave",
        "fxsave64",
        "fxrstor",
        "fxrstor64",
        "xsave",
        "xsave64",
        "xsaveopt",
        "xsaveopt64",
        "xrstor",
        "xrstor64",
    ];
    let mut bad = Vec::new();
    for line in disasm.lines() {
        // objdump -d --no-show-raw-insn -M intel: "addr:\tmnemonic operands"
        let Some((_, insn)) = line.split_once(":\t") else { continue };
        let insn = insn.trim();
        let mnemonic = insn.split_whitespace().next().unwrap_or("");
        if ALLOWED.contains(&mnemonic) {
            continue;
        }
        let regs = ["xmm", "ymm", "zmm", "st(", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7"];
        if X87.contains(&mnemonic) || regs.iter().any(|r| insn.contains(r)) {
            bad.push(line.to_string());
        }
    }
    bad
}

#[test]
fn detector_finds_sse_and_x87() {
    let sample = "  1000:\tmovaps xmm0,XMMWORD PTR [rdi]\n  1004:\tfld    st(1)\n  1008:\tmov    rax,rbx\n  100c:\tfxsave64 [rdi]\n";
    assert_eq!(fpu_instructions(sample).len(), 2);
}

#[test]
fn kernel_text_has_no_sse_or_x87() {
    let kernel = &artifacts().kernel;
    let out = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", "-M", "intel"])
        .arg(kernel)
        .output()
        .expect("objdump (binutils) runs");
    assert!(out.status.success(), "objdump failed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().count() > 1000, "disassembly suspiciously short");
    let bad = fpu_instructions(&text);
    assert!(bad.is_empty(), "{} SSE/x87 instruction(s) in kernel text:\n{}", bad.len(), bad.join("\n"));
}

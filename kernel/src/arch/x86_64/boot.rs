//! The 32-bit boot stub: PVH and multiboot2 entry, switch to long mode, jump
//! to the higher half (docs/boot.md).
//!
//! Both boot protocols enter in 32-bit protected mode with paging off:
//! - PVH (`qemu -kernel`): `ebx` = physical address of the `hvm_start_info`
//!   (Xen `arch-x86/hvm/start_info.h`), found by QEMU through the
//!   `XEN_ELFNOTE_PHYS32_ENTRY` (18) ELF note below.
//! - Multiboot2 (GRUB): `eax` = 0x36d76289, `ebx` = physical address of the
//!   boot information (Multiboot2 specification §3.3), entered through the
//!   entry-address tag of the header below.
//!
//! The stub builds temporary page tables that map physical 0..4 GiB three
//! times (identity, direct map at `0xffff_8000_0000_0000`, and the kernel
//! image window at `0xffff_ffff_8000_0000` for the first 2 GiB), enables
//! PAE, long mode and NX (when the CPU has it), loads a 64-bit GDT and calls
//! `kmain(info_paddr, protocol)` on the kernel stack. `kmain` replaces these
//! tables with the final kernel page tables.

core::arch::global_asm!(
    r#"
    .section .multiboot2, "a"
    .balign 8
mb2_header_start:
    .long 0xe85250d6
    .long 0
    .long mb2_header_end - mb2_header_start
    .long 0x100000000 - (0xe85250d6 + (mb2_header_end - mb2_header_start))
    .balign 8
    /* entry address tag: type 3, flags 0, size 12 */
    .short 3
    .short 0
    .long 12
    .long mb2_entry
    .balign 8
    /* end tag */
    .short 0
    .short 0
    .long 8
mb2_header_end:

    .section .note.pvh, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18
    .asciz "Xen"
    .balign 4
    .quad pvh_entry
    .balign 4

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
boot_stack:     .skip 4096
boot_stack_top:

    .section .boot.data, "aw"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
no_lm_msg:
    .asciz "Rampart: this CPU does not support 64-bit long mode; halting.\r\n"

    .section .boot.text, "ax"
    .code32
    .global pvh_entry
pvh_entry:
    movl %ebx, %edi
    movl $1, %esi
    jmp common32

    .global mb2_entry
mb2_entry:
    movl %ebx, %edi
    movl $2, %esi
    cmpl $0x36d76289, %eax
    je common32
    movl $0, %esi

common32:
    cli
    cld
    movl $boot_stack_top, %esp

    /* Long mode available? */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 29), %edx
    jz no_long_mode
    movl %edx, %ebp

    /* Zero the 7 table pages. */
    pushl %edi
    movl $boot_pml4, %edi
    movl $(7 * 1024), %ecx
    xorl %eax, %eax
    rep stosl
    popl %edi

    /* 2048 2-MiB identity entries covering 0..4 GiB (present|write|PS). */
    movl $boot_pd, %ebx
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, (%ebx, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    movl $boot_pdpt_low, %ebx
    movl $(boot_pd + 3), %eax
    movl %eax, 0(%ebx)
    addl $4096, %eax
    movl %eax, 8(%ebx)
    addl $4096, %eax
    movl %eax, 16(%ebx)
    addl $4096, %eax
    movl %eax, 24(%ebx)

    movl $boot_pdpt_high, %ebx
    movl $(boot_pd + 3), %eax
    movl %eax, (510 * 8)(%ebx)
    addl $4096, %eax
    movl %eax, (511 * 8)(%ebx)

    movl $boot_pml4, %ebx
    movl $(boot_pdpt_low + 3), %eax
    movl %eax, 0(%ebx)
    movl %eax, (256 * 8)(%ebx)
    movl $(boot_pdpt_high + 3), %eax
    movl %eax, (511 * 8)(%ebx)

    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $(1 << 5), %eax
    movl %eax, %cr4

    movl $0xC0000080, %ecx
    rdmsr
    orl $(1 << 8), %eax
    testl $(1 << 20), %ebp
    jz 2f
    orl $(1 << 11), %eax
2:  wrmsr

    movl %cr0, %eax
    orl $0x80010001, %eax
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $long_entry

no_long_mode:
    movl $no_lm_msg, %ebx
3:  movb (%ebx), %al
    testb %al, %al
    jz 5f
    movw $0x3fd, %dx
4:  inb %dx, %al
    testb $0x20, %al
    jz 4b
    movb (%ebx), %al
    movw $0x3f8, %dx
    outb %al, %dx
    incl %ebx
    jmp 3b
5:  cli
    hlt
    jmp 5b

    .code64
long_entry:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $kernel_entry64, %rax
    jmpq *%rax

    .section .text.kernel_entry64, "ax"
    .global kernel_entry64
kernel_entry64:
    movabsq $kernel_stack_top, %rsp
    movl %edi, %edi
    movl %esi, %esi
    xorl %ebp, %ebp
    call kmain
    ud2

    .section .bss.kernel_stack, "aw", @nobits
    .balign 4096
    .global kernel_stack_bottom
kernel_stack_bottom:
    .skip 65536
    .global kernel_stack_top
kernel_stack_top:
"#,
    options(att_syntax)
);

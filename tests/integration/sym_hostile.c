/* sym_hostile: processes and files such as a hostile user could make, for the tests of
 * the symbolizer's budgets (test_sym_budgets.sh).
 *
 *   sym_hostile elf FILE NSYMS NAMELEN [CLAIM]
 *                                        writes a static x86-64 program that spins
 *                                        until it is killed; its .symtab
 *                                        holds NSYMS functions, all named by one
 *                                        string of NAMELEN bytes; with CLAIM, the
 *                                        string table's header says it is CLAIM bytes
 *   sym_hostile maps N                   maps N one-page regions, every other one
 *                                        executable (N mappings of their own), prints
 *                                        "ready", waits until stdin ends
 *   sym_hostile procs N                  forks N children, prints each one's pid, then
 *                                        "ready"; all wait until stdin ends
 *
 * Exits 0, 1 on a failure (printed), 2 on bad usage. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* Where the program is loaded, and its code's place in the file (after the headers). */
#define LOAD_ADDR 0x400000ull
#define CODE_AT 0x100
/* Rounds of the spin: centuries, one round a cycle. The program spins until it is
 * killed (ringlua ends -c's command when it stops): a profile that must name its frames
 * while it runs sees it run however late a loaded machine hands ringlua the samples. */
#define SPIN_ROUNDS UINT64_MAX

/* mov rcx, SPIN_ROUNDS; 1: dec rcx; jnz 1b; mov eax, 231 (exit_group); xor edi, edi;
 * syscall. */
static size_t spin_code(unsigned char *code)
{
	static const unsigned char tail[] = { 0x48, 0xff, 0xc9, 0x75, 0xfb, 0xb8, 0xe7, 0x00,
					      0x00, 0x00, 0x31, 0xff, 0x0f, 0x05 };
	uint64_t rounds = SPIN_ROUNDS;

	code[0] = 0x48;
	code[1] = 0xb9;
	memcpy(code + 2, &rounds, sizeof(rounds));
	memcpy(code + 10, tail, sizeof(tail));
	return 10 + sizeof(tail);
}

/* The section headers: none, .text, .symtab, .strtab, .shstrtab. */
static void section_headers(Elf64_Shdr *sh, size_t code_len, size_t nsyms, size_t syms_at,
			    size_t strs_at, size_t strs_claim, size_t shstrs_at)
{
	memset(sh, 0, 5 * sizeof(*sh));
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
			      .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = LOAD_ADDR + CODE_AT,
			      .sh_offset = CODE_AT, .sh_size = code_len, .sh_addralign = 1 };
	sh[2] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_SYMTAB, .sh_offset = syms_at,
			      .sh_size = (nsyms + 1) * sizeof(Elf64_Sym), .sh_link = 3,
			      .sh_info = 1, .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) };
	sh[3] = (Elf64_Shdr){ .sh_name = 15, .sh_type = SHT_STRTAB, .sh_offset = strs_at,
			      .sh_size = strs_claim, .sh_addralign = 1 };
	sh[4] = (Elf64_Shdr){ .sh_name = 23, .sh_type = SHT_STRTAB, .sh_offset = shstrs_at,
			      .sh_size = 33, .sh_addralign = 1 };
}

/* Writes the program of `sym_hostile elf` (claim: 0, or the string table's size as its
 * header gives it). Returns 0 or -errno. */
static int write_elf(const char *path, size_t nsyms, size_t name_len, size_t claim)
{
	static const char shstrs[33] = "\0.text\0.symtab\0.strtab\0.shstrtab";
	unsigned char code[64];
	size_t code_len = spin_code(code);
	size_t syms_at = CODE_AT + 64, strs_at = syms_at + (nsyms + 1) * sizeof(Elf64_Sym);
	size_t strs_len = name_len + 2, shstrs_at = strs_at + strs_len;
	size_t sh_at = (shstrs_at + sizeof(shstrs) + 7) & ~(size_t)7;
	size_t size = sh_at + 5 * sizeof(Elf64_Shdr);
	unsigned char *img = calloc(1, size);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	Elf64_Sym *syms = (Elf64_Sym *)(img + syms_at);
	FILE *f;
	int err = 0;

	if (!img)
		return -ENOMEM;
	*eh = (Elf64_Ehdr){ .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			    .e_entry = LOAD_ADDR + CODE_AT, .e_phoff = sizeof(*eh),
			    .e_shoff = sh_at, .e_ehsize = sizeof(*eh), .e_phentsize = sizeof(*ph),
			    .e_phnum = 1, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 5,
			    .e_shstrndx = 4 };
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	*ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = LOAD_ADDR,
			    .p_paddr = LOAD_ADDR, .p_filesz = CODE_AT + code_len,
			    .p_memsz = CODE_AT + code_len, .p_align = 0x1000 };
	memcpy(img + CODE_AT, code, code_len);
	/* Every function starts where the code does and has the one long name. */
	for (size_t i = 1; i <= nsyms; i++)
		syms[i] = (Elf64_Sym){ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				       .st_shndx = 1, .st_value = LOAD_ADDR + CODE_AT,
				       .st_size = code_len };
	memset(img + strs_at + 1, 'A', name_len);
	memcpy(img + shstrs_at, shstrs, sizeof(shstrs));
	section_headers((Elf64_Shdr *)(img + sh_at), code_len, nsyms, syms_at, strs_at,
			claim ? claim : strs_len, shstrs_at);
	f = fopen(path, "we");
	if (!f || fwrite(img, 1, size, f) != size)
		err = -errno;
	if (f && fclose(f) && !err)
		err = -errno;
	free(img);
	return err;
}

/* Blocks until stdin ends. */
static void wait_stdin(void)
{
	char buf[64];

	while (read(0, buf, sizeof(buf)) > 0)
		;
}

/* `sym_hostile maps N`. Distinct permissions side by side keep the kernel from merging
 * the pages into one mapping. */
static int many_maps(long n)
{
	long page = sysconf(_SC_PAGESIZE);
	char *base = mmap(NULL, (size_t)(n * page), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		return -errno;
	for (long i = 0; i < n; i += 2)
		if (mprotect(base + i * page, (size_t)page, PROT_READ | PROT_EXEC))
			return -errno;
	printf("ready\n");
	fflush(stdout);
	wait_stdin();
	return 0;
}

/* `sym_hostile procs N`. */
static int many_procs(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (!pid) {
			wait_stdin();
			_exit(0);
		}
		printf("%d\n", (int)pid);
	}
	printf("ready\n");
	fflush(stdout);
	wait_stdin();
	while (wait(NULL) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	int err;

	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "elf"))
		err = write_elf(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10),
				argc == 6 ? strtoul(argv[5], NULL, 10) : 0);
	else if (argc == 3 && !strcmp(argv[1], "maps"))
		err = many_maps(atol(argv[2]));
	else if (argc == 3 && !strcmp(argv[1], "procs"))
		err = many_procs(atol(argv[2]));
	else {
		fprintf(stderr, "usage: sym_hostile elf FILE NSYMS NAMELEN [CLAIM] | maps N | "
			"procs N\n");
		return 2;
	}
	if (err)
		fprintf(stderr, "sym_hostile %s: %s\n", argv[1], strerror(-err));
	return err ? 1 : 0;
}

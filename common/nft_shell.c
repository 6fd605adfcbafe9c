/*
 * nft_shell.c: the libnftables shell (nft_shell.h). Output and errors are
 * buffered by libnftables and handed back as text; nothing is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "nft_shell.h"

struct nft_shell {
	struct nft_ctx	*ctx;
};

/* nft's error text starts with "Error: ..." and goes on with the command
 * and a caret line: keep the first line, it says why. */
static void
first_line(const char *text, const char *fallback, char *err, size_t errlen)
{
	size_t n;

	if (text == NULL || *text == '\0')
		text = fallback;
	n = strcspn(text, "\n");
	snprintf(err, errlen, "%.*s", (int)n, text);
}

struct nft_shell *
nft_shell_open(char *err, size_t errlen)
{
	struct nft_shell *nft;

	if ((nft = calloc(1, sizeof(*nft))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	nft->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (nft->ctx == NULL) {
		snprintf(err, errlen, "nft_ctx_new failed");
		free(nft);
		return NULL;
	}
	if (nft_ctx_buffer_output(nft->ctx) != 0 ||
	    nft_ctx_buffer_error(nft->ctx) != 0) {
		snprintf(err, errlen, "nftables output buffers");
		nft_ctx_free(nft->ctx);
		free(nft);
		return NULL;
	}
	return nft;
}

void
nft_shell_close(struct nft_shell *nft)
{
	if (nft == NULL)
		return;
	nft_ctx_free(nft->ctx);	/* closes the socket: owner tables go */
	free(nft);
}

int
nft_shell_run(struct nft_shell *nft, const char *cmds, char *err, size_t errlen)
{
	int rc;

	rc = nft_run_cmd_from_buffer(nft->ctx, cmds);
	if (rc != 0)
		first_line(nft_ctx_get_error_buffer(nft->ctx),
		    "nft: commands refused", err, errlen);
	/* drain both buffers so that the next call starts empty */
	(void)nft_ctx_get_output_buffer(nft->ctx);
	(void)nft_ctx_get_error_buffer(nft->ctx);
	return rc == 0 ? 0 : -1;
}

int
nft_shell_list(struct nft_shell *nft, const char *cmd, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const char *text;
	size_t n;

	if (nft_run_cmd_from_buffer(nft->ctx, cmd) != 0) {
		first_line(nft_ctx_get_error_buffer(nft->ctx),
		    "nft: listing refused", err, errlen);
		(void)nft_ctx_get_output_buffer(nft->ctx);
		return -1;
	}
	(void)nft_ctx_get_error_buffer(nft->ctx);
	text = nft_ctx_get_output_buffer(nft->ctx);
	if (text == NULL)
		text = "";
	n = strlen(text);
	if (outlen > 0)
		snprintf(out, outlen, "%s", text);
	return (int)n;
}

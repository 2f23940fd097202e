/* Google OAuth 2.0 for gs:// paths with a service account key (the JSON
 * file GOOGLE_APPLICATION_CREDENTIALS names): a JWT signed with the key
 * (RS256, libjwt) is traded at the key's token_uri for an access token,
 * which requests then carry as "Authorization: Bearer". Tokens are kept
 * until five minutes before they expire. The token endpoint is the one the
 * key file names, so a test can point it at a loopback server.
 *
 * Thread-safe: one mutex guards the cached token; a refresh holds it, so
 * threads that need a token at the same time wait for one exchange. */
#ifndef TB_GCS_AUTH_H
#define TB_GCS_AUTH_H

typedef struct tb_gcs_auth tb_gcs_auth;

/* Read the service account key at path and check that its private key
 * signs. Returns 0, TB_ENOTFOUND (the file cannot be opened, or libjwt
 * cannot be loaded) or TB_EINVAL (not JSON, not a service account key, or
 * a private key that cannot sign), each with *msg set (the caller frees
 * it). */
int tb_gcs_auth_load(tb_gcs_auth **out, char **msg, const char *path);
void tb_gcs_auth_free(tb_gcs_auth *a);

/* Copy a valid access token into *out (the caller frees it), exchanging a
 * new JWT for one when none is cached or it is about to expire. Returns 0,
 * or TB_EIO after tb_fs_fail (transient unless the endpoint refused the
 * key). */
int tb_gcs_auth_token(char **out, tb_gcs_auth *a);

/* The scope requested: read-only access to Cloud Storage. */
#define TB_GCS_AUTH_SCOPE "https://www.googleapis.com/auth/devstorage.read_only"

#endif

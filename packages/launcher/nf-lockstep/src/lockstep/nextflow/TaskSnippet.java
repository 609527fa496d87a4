package lockstep.nextflow;

import java.util.List;

/**
 * The bash a task wrapper runs (before the task's script) to put its declared secrets into its
 * environment: each is read from Google Secret Manager at that moment, with the task VM's service
 * account token from the metadata server, and exported. It contains resource names only; names
 * and references were validated against strict patterns, so single quotes hold them safely.
 */
final class TaskSnippet {
    private TaskSnippet() {}

    static String google(RunSecrets run, List<String> names) {
        String endpoint = run.endpoint != null ? run.endpoint : "https://secretmanager.googleapis.com";
        StringBuilder sh = new StringBuilder();
        sh.append("# Lockstep: this task's secrets, read from Google Secret Manager now (the wrapper holds references only)\n");
        sh.append("command -v curl >/dev/null || { echo \"Lockstep: this task's image has no curl, which it needs to read its secrets from Secret Manager\" >&2; exit 1; }\n");
        if (run.endpoint == null) {
            sh.append("lockstep_sm_auth=\"Authorization: Bearer $(curl -sf --retry 3 --max-time 30 -H 'Metadata-Flavor: Google' '")
              .append(StoreClient.GOOGLE_METADATA_TOKEN)
              .append("' | tr -d '\\n' | sed -n 's/.*\"access_token\" *: *\"\\([^\"]*\\)\".*/\\1/p')\"\n");
            sh.append("[[ \"$lockstep_sm_auth\" != 'Authorization: Bearer ' ]] || { echo \"Lockstep: no access token from the metadata server: the task cannot read its secrets\" >&2; exit 1; }\n");
        } else {
            // An emulator on loopback (tests) takes no credentials.
            sh.append("lockstep_sm_auth='X-Lockstep-Emulator: 1'\n");
        }
        for (String name : names) {
            String url = endpoint + "/v1/" + run.refs.get(name) + ":access";
            sh.append("lockstep_sm_b64=$(curl -sf --retry 3 --max-time 60 -H \"$lockstep_sm_auth\" '").append(url)
              .append("' | tr -d '\\n' | sed -n 's/.*\"data\" *: *\"\\([A-Za-z0-9+\\/=_-]*\\)\".*/\\1/p')\n");
            sh.append("[[ -n \"$lockstep_sm_b64\" ]] || { echo \"Lockstep: cannot read secret '").append(name)
              .append("' (").append(run.refs.get(name)).append(") from Google Secret Manager\" >&2; exit 1; }\n");
            sh.append("export ").append(name).append("=\"$(printf '%s' \"$lockstep_sm_b64\" | base64 -d)\"\n");
        }
        sh.append("unset lockstep_sm_b64 lockstep_sm_auth\n");
        return sh.toString();
    }
}

package lockstep.nextflow;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What Lockstep tells a run about its secrets: the store and, per secret name, a reference into it
 * (an AWS Secrets Manager ARN, or a Google Secret Manager version name). Never a value. It travels
 * base64-encoded in LOCKSTEP_SECRETS_MANIFEST.
 */
final class RunSecrets {
    static final String ENV = "LOCKSTEP_SECRETS_MANIFEST";
    static final String AWS = "aws-secrets-manager";
    static final String GOOGLE = "google-secret-manager";

    // Nextflow's own secret name rule (SecretsHelper), so a name here is a name Nextflow accepts.
    private static final Pattern NAME = Pattern.compile("^[a-zA-Z_](?:[0-9A-Za-z]+|(_)(?!\\1)){1,49}$");
    private static final Pattern ARN = Pattern.compile("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$");
    private static final Pattern GOOGLE_VERSION = Pattern.compile("^projects/[A-Za-z0-9._:-]+/secrets/[A-Za-z0-9_-]+/versions/(latest|[0-9]+)$");
    private static final Pattern REGION = Pattern.compile("^[a-z]{2}(-[a-z]+)+-[0-9]+$");
    private static final Pattern RUN_ID = Pattern.compile("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    private static final Pattern ROLE_ARN = Pattern.compile("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9/_+=,.@-]{1,512}$");

    final String store;
    final String region;
    /** Only for emulators in tests: a loopback http:// endpoint of the store's API. */
    final String endpoint;
    final Map<String, String> refs;
    /** AWS: the run's id, which names (and tags) the job definitions registered for its tasks; null in older manifests. */
    final String runId;
    /** AWS: the role ECS uses to resolve a task job definition's `secrets` (the compute environment's execution role). */
    final String executionRoleArn;

    private RunSecrets(String store, String region, String endpoint, Map<String, String> refs, String runId, String executionRoleArn) {
        this.store = store;
        this.region = region;
        this.endpoint = endpoint;
        this.refs = Collections.unmodifiableMap(refs);
        this.runId = runId;
        this.executionRoleArn = executionRoleArn;
    }

    /** Null when the run was not started by Lockstep with cloud secrets. */
    static RunSecrets fromEnvironment() {
        String encoded = System.getenv(ENV);
        if (encoded == null || encoded.isEmpty()) return null;
        return parse(encoded);
    }

    static RunSecrets parse(String encoded) {
        JsonObject json;
        try {
            json = new Gson().fromJson(new String(Base64.getDecoder().decode(encoded.trim()), StandardCharsets.UTF_8), JsonObject.class);
        } catch (RuntimeException e) {
            throw new IllegalStateException(ENV + " is not base64 of a JSON object");
        }
        if (json == null) throw new IllegalStateException(ENV + " is empty");
        String store = string(json, "store");
        if (!AWS.equals(store) && !GOOGLE.equals(store)) throw new IllegalStateException(ENV + ": store must be " + AWS + " or " + GOOGLE);
        String region = string(json, "region");
        if (AWS.equals(store) && (region == null || !REGION.matcher(region).matches())) throw new IllegalStateException(ENV + ": region must be an AWS region");
        String endpoint = string(json, "endpoint");
        if (endpoint != null && !endpoint.matches("^http://(127\\.0\\.0\\.1|localhost|\\[::1\\]):[0-9]{1,5}$")) {
            throw new IllegalStateException(ENV + ": endpoint is for emulators only and must be http://127.0.0.1:<port>");
        }
        Map<String, String> refs = new TreeMap<>();
        JsonElement secrets = json.get("secrets");
        if (secrets == null || !secrets.isJsonObject()) throw new IllegalStateException(ENV + ": secrets must be an object of name to reference");
        for (Map.Entry<String, JsonElement> e : secrets.getAsJsonObject().entrySet()) {
            String name = e.getKey();
            if (!NAME.matcher(name).matches() || name.startsWith("__")) throw new IllegalStateException(ENV + ": " + name + " is not a valid secret name");
            String ref = e.getValue().isJsonPrimitive() ? e.getValue().getAsString() : "";
            Pattern rule = AWS.equals(store) ? ARN : GOOGLE_VERSION;
            if (!rule.matcher(ref).matches()) throw new IllegalStateException(ENV + ": the reference of " + name + " is not a " + (AWS.equals(store) ? "Secrets Manager ARN" : "Secret Manager version name"));
            refs.put(name, ref);
        }
        String runId = string(json, "runId");
        if (runId != null && !RUN_ID.matcher(runId).matches()) throw new IllegalStateException(ENV + ": runId must be a UUID");
        String executionRoleArn = string(json, "executionRoleArn");
        if (executionRoleArn != null && !ROLE_ARN.matcher(executionRoleArn).matches()) throw new IllegalStateException(ENV + ": executionRoleArn must be an IAM role ARN");
        return new RunSecrets(store, region, endpoint, refs, runId, executionRoleArn);
    }

    private static String string(JsonObject json, String key) {
        JsonElement e = json.get(key);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }
}

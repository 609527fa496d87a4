package lockstep.nextflow;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import nextflow.Global;
import nextflow.ISession;
import nextflow.processor.TaskRun;

/**
 * AWS Batch job definitions for the tasks of one run that declare secrets: ECS `secrets` entries
 * `{name, valueFrom: <the run's Secrets Manager ARN>}` (references only; ECS resolves them with
 * the execution role when the task's container starts). One per (image × declared secret set ×
 * the rest of what nf-amazon would put in a task's job definition), registered once per head,
 * named `lockstep-<runId>-<hash>` and tagged with the run, so Lockstep's cleanup finds and
 * deregisters every one of them.
 *
 * What nf-amazon 24.10.8 registers for a task (AwsBatchTaskHandler.configJobDefRequest) and what
 * is replicated here from the head's `aws.*` config: image, `command: ["true"]`, 1 vCPU and 1024
 * MiB (2048 on Fargate; the task's own cpus/memory still override at SubmitJob), `jobRoleArn`
 * (aws.batch.jobRole), `executionRoleArn`, `awslogs` logging (aws.batch.logsGroup), the aws-cli
 * volume (aws.batch.cliPath) and aws.batch.volumes, and Fargate's platform capability, public IP
 * and ephemeral storage. `containerOptions` have no equivalent here: a process that declares
 * secrets and sets them fails, naming both, instead of silently losing them.
 */
final class TaskJobDefinitions {
    static final String PREFIX = "lockstep-";
    static final String TAG_RUN = "lockstep:run";
    private static final Gson GSON = new Gson();
    private static TaskJobDefinitions current;
    private static boolean loaded;

    private final RunSecrets run;
    /** Hash of the job definition's content → `name:revision` as registered. */
    private final Map<String, String> registered = new ConcurrentHashMap<>();

    private TaskJobDefinitions(RunSecrets run) {
        this.run = run;
    }

    /** The run's registry, when Lockstep started this head with AWS Secrets Manager references; null otherwise. */
    static synchronized TaskJobDefinitions forEnvironment() {
        if (!loaded) {
            RunSecrets run = RunSecrets.fromEnvironment();
            current = run != null && RunSecrets.AWS.equals(run.store) ? new TaskJobDefinitions(run) : null;
            loaded = true;
        }
        return current;
    }

    /** `name:revision` of the job definition a task of `process` with `image` and these declared secrets runs as. */
    String forTask(TaskRun task, String process, String image, List<String> secretNames) throws Exception {
        List<String> absent = new ArrayList<>();
        for (String n : secretNames) if (!run.refs.containsKey(n)) absent.add(n);
        if (!absent.isEmpty()) {
            throw new IllegalStateException("Lockstep: Secret" + (absent.size() == 1 ? " '" + absent.get(0) + "' is" : "s '" + String.join("', '", absent) + "' are")
                    + " not among this run's secrets (process " + process + ")");
        }
        if (run.runId == null) throw new IllegalStateException("Lockstep: this run's manifest has no run id, so process " + process + "'s secrets cannot be given to its tasks (update the Lockstep worker)");
        Map<?, ?> config = sessionConfig();
        Map<?, ?> aws = section(config, "aws");
        Map<?, ?> batch = section(aws, "batch");
        String options = task.getConfig().getContainerOptions();
        if (options != null && !options.isBlank()) {
            throw new IllegalStateException("Lockstep: process " + process + " declares secrets and sets containerOptions; AWS Batch runs it with a job definition Lockstep registers, which cannot carry containerOptions. Remove one of the two.");
        }

        boolean fargate = "fargate".equals(str(batch, "platformType"));
        JsonObject container = new JsonObject();
        container.addProperty("image", image);
        JsonArray command = new JsonArray();
        command.add("true");
        container.add("command", command);
        JsonArray resources = new JsonArray();
        resources.add(requirement("VCPU", "1"));
        resources.add(requirement("MEMORY", fargate ? "2048" : "1024"));
        container.add("resourceRequirements", resources);
        JsonArray secrets = new JsonArray();
        for (String name : new TreeSet<>(secretNames)) {
            JsonObject s = new JsonObject();
            s.addProperty("name", name);
            s.addProperty("valueFrom", run.refs.get(name));
            secrets.add(s);
        }
        container.add("secrets", secrets);
        String executionRole = run.executionRoleArn != null ? run.executionRoleArn : str(batch, "executionRole");
        if (executionRole == null) throw new IllegalStateException("Lockstep: process " + process + " declares secrets, which ECS resolves with an execution role; the run has none (set the compute environment's execution role)");
        container.addProperty("executionRoleArn", executionRole);
        String jobRole = str(batch, "jobRole");
        if (jobRole != null) container.addProperty("jobRoleArn", jobRole);
        String logsGroup = str(batch, "logsGroup");
        if (logsGroup != null) {
            JsonObject log = new JsonObject();
            log.addProperty("logDriver", "awslogs");
            JsonObject opts = new JsonObject();
            opts.addProperty("awslogs-region", str(aws, "region") != null ? str(aws, "region") : run.region);
            opts.addProperty("awslogs-group", logsGroup);
            log.add("options", opts);
            container.add("logConfiguration", log);
        }
        if (section(config, "fusion") != null && Boolean.TRUE.equals(section(config, "fusion").get("enabled"))) container.addProperty("privileged", true);

        JsonArray mounts = new JsonArray();
        JsonArray volumes = new JsonArray();
        String cliPath = str(batch, "cliPath");
        if (cliPath != null && !fargate && !cliPath.contains("s5cmd") && cliPath.startsWith("/") && cliPath.endsWith("/bin/aws")) {
            Path p = Paths.get(cliPath).getParent().getParent();
            mount(mounts, volumes, "aws-cli", p + ":" + p + ":ro");
        }
        int c = 0;
        for (String vol : volumesOf(batch == null ? null : batch.get("volumes"))) mount(mounts, volumes, "vol-" + (++c), vol);
        if (mounts.size() > 0) {
            container.add("mountPoints", mounts);
            container.add("volumes", volumes);
        }

        JsonArray platforms = new JsonArray();
        platforms.add(fargate ? "FARGATE" : "EC2");
        if (fargate) {
            JsonObject network = new JsonObject();
            network.addProperty("assignPublicIp", "ENABLED");
            container.add("networkConfiguration", network);
            JsonObject storage = new JsonObject();
            var disk = task.getConfig().getDisk();
            storage.addProperty("sizeInGiB", disk != null && disk.toGiga() > 0 ? (int) disk.toGiga() : 50);
            container.add("ephemeralStorage", storage);
            var arch = task.getConfig().getArchitecture();
            if (arch != null && "arm64".equals(arch.getArch())) {
                JsonObject runtime = new JsonObject();
                runtime.addProperty("cpuArchitecture", "ARM64");
                container.add("runtimePlatform", runtime);
            }
        }

        String hash = hex(MessageDigest.getInstance("SHA-256").digest((GSON.toJson(container) + GSON.toJson(platforms)).getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        String name = PREFIX + run.runId + "-" + hash;
        String done = registered.get(hash);
        if (done != null) return done;
        synchronized (this) {
            done = registered.get(hash);
            if (done != null) return done;
            JsonObject request = new JsonObject();
            request.addProperty("jobDefinitionName", name);
            request.addProperty("type", "container");
            request.add("platformCapabilities", platforms);
            request.add("containerProperties", container);
            JsonObject tags = new JsonObject();
            tags.addProperty(TAG_RUN, run.runId);
            request.add("tags", tags);
            String result = register(name, process, image, GSON.toJson(request));
            registered.put(hash, result);
            return result;
        }
    }

    /** RegisterJobDefinition, retried on throttling, 5xx and lost connections (a retry may add a revision; cleanup deregisters them all). */
    private String register(String name, String process, String image, String body) throws Exception {
        String endpoint = run.endpoint != null ? run.endpoint : "https://batch." + run.region + ".amazonaws.com";
        String why = "";
        for (int attempt = 1; attempt <= 5; attempt++) {
            if (attempt > 1) Thread.sleep(500L << (attempt - 2));
            HttpResponse<String> res;
            try {
                res = StoreClient.awsPost(run.region, "batch", endpoint, "/v1/registerjobdefinition", "application/json", null, body);
            } catch (java.io.IOException e) {
                why = "no answer (" + e.getClass().getSimpleName() + ")";
                continue;
            }
            if (res.statusCode() == 200) {
                JsonObject answer = GSON.fromJson(res.body(), JsonObject.class);
                JsonElement revision = answer == null ? null : answer.get("revision");
                if (revision == null) throw new IllegalStateException("Lockstep: AWS Batch registered " + name + " but returned no revision");
                return name + ":" + revision.getAsInt();
            }
            String type = StoreClient.awsErrorType(res);
            why = "HTTP " + res.statusCode() + " " + type + message(res);
            boolean retryable = res.statusCode() >= 500 || res.statusCode() == 429 || type.toLowerCase().contains("throttl") || type.toLowerCase().contains("toomanyrequests");
            if (!retryable) break;
        }
        throw new IllegalStateException("Lockstep: cannot register AWS Batch job definition " + name + " for process " + process + " (image " + image + "): AWS Batch answered " + why);
    }

    /** Batch's own error message names resources, never a value (Lockstep sends none); kept short and printable. */
    private static String message(HttpResponse<String> res) {
        try {
            JsonObject body = GSON.fromJson(res.body(), JsonObject.class);
            JsonElement m = body == null ? null : (body.has("message") ? body.get("message") : body.get("Message"));
            if (m == null || !m.isJsonPrimitive()) return "";
            String text = m.getAsString().replaceAll("[^\\x20-\\x7e]", "?");
            return ": " + (text.length() > 200 ? text.substring(0, 200) : text);
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static Map<?, ?> sessionConfig() {
        ISession session = Global.getSession();
        return session instanceof nextflow.Session ? ((nextflow.Session) session).getConfig() : null;
    }

    private static Map<?, ?> section(Map<?, ?> map, String key) {
        Object v = map == null ? null : map.get(key);
        return v instanceof Map ? (Map<?, ?>) v : null;
    }

    private static String str(Map<?, ?> map, String key) {
        Object v = map == null ? null : map.get(key);
        if (v == null || v instanceof Map) return null;
        String s = v.toString().trim();
        return s.isEmpty() ? null : s;
    }

    private static List<String> volumesOf(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof List) {
            for (Object o : (List<?>) value) if (o != null && !o.toString().isBlank()) out.add(o.toString().trim());
        } else if (value instanceof CharSequence) {
            for (String s : value.toString().split(",")) if (!s.isBlank()) out.add(s.trim());
        }
        return out;
    }

    /** `host[:container[:ro]]`, as nf-amazon reads aws.batch.volumes. */
    private static void mount(JsonArray mounts, JsonArray volumes, String name, String spec) {
        String[] parts = spec.split(":");
        if (parts.length > 3) throw new IllegalArgumentException("Not a valid volume mount syntax: " + spec);
        JsonObject m = new JsonObject();
        m.addProperty("sourceVolume", name);
        m.addProperty("containerPath", parts.length > 1 ? parts[1] : parts[0]);
        m.addProperty("readOnly", parts.length > 2 && "ro".equals(parts[2]));
        mounts.add(m);
        JsonObject v = new JsonObject();
        v.addProperty("name", name);
        JsonObject host = new JsonObject();
        host.addProperty("sourcePath", parts[0]);
        v.add("host", host);
        volumes.add(v);
    }

    private static JsonObject requirement(String type, String value) {
        JsonObject r = new JsonObject();
        r.addProperty("type", type);
        r.addProperty("value", value);
        return r;
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) sb.append(String.format("%02x", b));
        return sb.toString();
    }
}

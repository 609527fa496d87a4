package lockstep.nextflow;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import nextflow.Session;
import nextflow.exception.AbortOperationException;
import nextflow.processor.TaskHandler;
import nextflow.processor.TaskProcessor;
import nextflow.trace.TraceObserver;
import nextflow.trace.TraceRecord;

/**
 * Stops the run before any task starts when a process declares a secret the run was not given.
 * Nextflow creates every process while it runs the workflow script and starts them only after
 * (Session.fireDataflowNetwork): onProcessCreate sees each `secret` directive, and onFlowBegin —
 * whose exceptions Nextflow does not swallow — comes before the first task. The provider's own
 * check in getSecretsEnv stays as the second line.
 */
final class MissingSecretsCheck implements TraceObserver {
    private final RunSecrets run;
    /** Missing secret name → the processes that declare it. */
    private final Map<String, List<String>> missing = new TreeMap<>();

    MissingSecretsCheck(RunSecrets run) {
        this.run = run;
    }

    @Override
    public synchronized void onProcessCreate(TaskProcessor process) {
        for (String name : process.getConfig().getSecret()) {
            if (!run.refs.containsKey(name)) missing.computeIfAbsent(name, k -> new ArrayList<>()).add(process.getName());
        }
    }

    @Override
    public synchronized void onFlowBegin() {
        if (missing.isEmpty()) return;
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : missing.entrySet()) parts.add("'" + e.getKey() + "' (process " + String.join(", ", e.getValue()) + ")");
        String which = parts.size() == 1 ? "Secret " + parts.get(0) + " is" : "Secrets " + String.join(", ", parts) + " are";
        throw new AbortOperationException("Lockstep: " + which + " not among this run's secrets (it has: "
                + (run.refs.isEmpty() ? "none" : String.join(", ", run.refs.keySet())) + "). Add it to the workspace or to your personal secrets, and launch again.");
    }

    @Override public void onFlowCreate(Session session) {}
    @Override public void onFlowComplete() {}
    @Override public void onProcessTerminate(TaskProcessor process) {}
    @Override public void onProcessPending(TaskHandler handler, TraceRecord trace) {}
    @Override public void onProcessSubmit(TaskHandler handler, TraceRecord trace) {}
    @Override public void onProcessStart(TaskHandler handler, TraceRecord trace) {}
    @Override public void onProcessComplete(TaskHandler handler, TraceRecord trace) {}
    @Override public void onProcessCached(TaskHandler handler, TraceRecord trace) {}
    @Override public boolean enableMetrics() { return false; }
    @Override public void onFlowError(TaskHandler handler, TraceRecord trace) {}
    @Override public void onWorkflowPublish(Object value) {}
    @Override public void onFilePublish(Path destination) {}
    @Override public void onFilePublish(Path destination, Path source) {}
}

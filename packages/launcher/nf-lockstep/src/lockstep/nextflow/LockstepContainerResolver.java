package lockstep.nextflow;

import java.util.List;
import nextflow.container.resolver.ContainerInfo;
import nextflow.container.resolver.ContainerResolver;
import nextflow.exception.ProcessUnrecoverableException;
import nextflow.plugin.Plugins;
import nextflow.plugin.Priority;
import nextflow.processor.TaskRun;
import org.pf4j.Extension;

/**
 * Points the tasks that declare secrets, on a run whose secrets are in AWS Secrets Manager, at a
 * per-run AWS Batch job definition carrying ECS `secrets` references ({@link TaskJobDefinitions}).
 *
 * Why here: Nextflow 24.10.8 asks the highest-priority ContainerResolver extension for every
 * task's container (TaskRun.containerInfo0, through ContainerResolverProvider.load), with the
 * TaskRun at hand, after the task's directives were evaluated in its own context — so dynamic
 * containers (closures and lazy strings referencing `task`) are already a plain image here. The
 * answer is cached on the TaskRun and is what every later reader sees: the task hash (through
 * the hash key, which stays the image's), the trace's `container` field, and
 * AwsBatchTaskHandler.getJobDefinition, which submits a container of the form
 * `job-definition://<name>` as that job definition, unchanged. Everything else is left to the
 * next resolver (Wave's when enabled, else Nextflow's default), whose answer is kept as is.
 */
@Extension
@Priority(-100)
public class LockstepContainerResolver implements ContainerResolver {
    static final String JOB_DEFINITION = "job-definition://";

    private static ContainerResolver next() {
        for (ContainerResolver r : Plugins.getPriorityExtensions(ContainerResolver.class)) {
            if (!(r instanceof LockstepContainerResolver)) return r;
        }
        throw new IllegalStateException("Lockstep: no container resolver besides Lockstep's");
    }

    @Override
    public ContainerInfo resolveImage(TaskRun task, String imageName) {
        ContainerInfo info = next().resolveImage(task, imageName);
        TaskJobDefinitions defs = TaskJobDefinitions.forEnvironment();
        if (defs == null || info == null || info.getTarget() == null) return info;
        List<String> secrets = task.getConfig().getSecret();
        if (secrets == null || secrets.isEmpty()) return info;
        String process = task.getProcessor() != null ? task.getProcessor().getName() : task.getName();
        if (info.getTarget().startsWith(JOB_DEFINITION)) {
            throw sneaky(new ProcessUnrecoverableException("Lockstep: process " + process + " declares secrets and names its own job definition ("
                    + info.getTarget() + "); Lockstep can give secrets only to processes that name a container image"));
        }
        try {
            String name = defs.forTask(task, process, info.getTarget(), secrets);
            return new ContainerInfo(info.getSource(), JOB_DEFINITION + name, info.getHashKey());
        } catch (Exception e) {
            throw sneaky(new ProcessUnrecoverableException(e.getMessage() != null ? e.getMessage() : "Lockstep: " + e.getClass().getSimpleName()));
        }
    }

    @Override
    public boolean isContainerReady(String key) {
        return next().isContainerReady(key);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }
}

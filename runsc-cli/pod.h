/*
 * Containers of a pod (pod.c): Kubernetes puts several containers in one
 * sandbox. The CRI plugin marks each bundle with the annotations
 *
 *   io.kubernetes.cri.container-type  "sandbox" (the pod's first, pause
 *                                      container) or "container"
 *   io.kubernetes.cri.sandbox-id      the id of that first container
 *
 * A "sandbox" container (or one without the annotations) gets a sandbox
 * of its own, as any container. A "container" one joins the running
 * sandbox of sandbox-id: `runsc create` starts its gofer (the confined
 * sentry cannot start processes) and a proxy process that asks the
 * sandbox to add the container (the control request "create", with the
 * gofer's channel and the container's stdio), then waits for the
 * container's init to end and exits with its status: the proxy's pid is
 * the one in --pid-file, which the client waits on, as for `runsc exec`.
 * The gofer is the proxy's child and dies with it. The container shares
 * the sandbox's kernel, PID namespace, network and cgroup (its
 * linux.resources are not applied to it alone); its root, mounts and
 * processes are its own (thread_group.container). Its hooks are not run
 * (the CRI plugin sets none); both are warned about.
 */
#ifndef RUNSC_CLI_POD_H
#define RUNSC_CLI_POD_H

#include <sys/types.h>

#include "runsc-cli/lifecycle.h"

struct container;
struct oci_spec;

/* The sandbox a bundle's container joins (sandbox-id), or NULL for a sandbox of its own. */
const char *pod_sandbox_id(const struct oci_spec *spec, const char *id);

/*
 * Creates container a->id of spec (from bundle, canonical) in the running
 * sandbox of container sandbox_id. Returns 0 with the proxy's pid, or -1
 * after reporting the error; nothing is left behind.
 */
int pod_create(const struct runsc_globals *g, const struct create_args *a,
               const struct oci_spec *spec, const char *bundle, const char *sandbox_id, pid_t *pid);

/*
 * Deletes pod container c (locked; freed): its processes in the sandbox,
 * its proxy and gofer, its state. Returns 0, or -1 after reporting why.
 */
int pod_delete(const struct runsc_globals *g, struct container *c);

#endif /* RUNSC_CLI_POD_H */

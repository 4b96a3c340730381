// Compile probe: a target other than airlock_microvm includes libvirt. It must fail
// on the poison header of cmake/forbidden/libvirt, although the real header is in
// /usr/include.
#include <libvirt/libvirt.h>

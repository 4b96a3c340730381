# vm_bench: the microVM sandbox's boot, call latency, exec round trip and QEMU RSS,
# against plain QEMU booting the same image (see vm_bench.cpp). Needs a libvirt
# daemon: as root, packaging/microvm/libvirtd-start.sh.
if(TARGET airlock_guest_image)
  add_executable(vm_bench "${CMAKE_CURRENT_LIST_DIR}/vm_bench.cpp")
  target_link_libraries(vm_bench PRIVATE airlock_microvm airlock_config Qt6::Core)
  add_dependencies(vm_bench airlock_guest_image)
endif()

# debian_vm_bench: the Debian guest (image build, boot, round trip, RSS, checkpoint,
# undo) against the busybox guest in the same run (see debian_vm_bench.cpp).
if(TARGET airlock_guest_image)
  add_executable(debian_vm_bench "${CMAKE_CURRENT_LIST_DIR}/debian_vm_bench.cpp")
  target_link_libraries(debian_vm_bench PRIVATE airlock_microvm airlock_workspace airlock_config Qt6::Core)
  add_dependencies(debian_vm_bench airlock_guest_image)
endif()

# Where `cmake --install` (and so every installer) puts what the app needs at run
# time, relative to the prefix (/usr for the .deb, the top folder for the tarball).
# The app finds each relative to its own executable, so any prefix works:
#   bin/airlock                     the app and CLI
#   lib/airlock/airlock-jsd         the V8 isolate helper (IsolateClient::defaultHelperPath)
#   lib/airlock/airlock_webengine.so  the Preview's engine (PreviewView::pluginPath; ui/)
#   lib/airlock/guest-build/        build-image.sh, the guest agent, /init, /init-stage2
#   share/airlock/guest/            vmlinux + initramfs.cpio.gz (MicroVm::guestImageDir)
# In the macOS bundle (untested, packaging/macos/README.md) the helper sits beside the
# executable in Contents/MacOS and the guest in Contents/share/airlock/guest.
if(APPLE)
  set(AIRLOCK_INSTALL_BINDIR "Airlock.app/Contents/MacOS")
  set(AIRLOCK_INSTALL_HELPERDIR "Airlock.app/Contents/MacOS")
  set(AIRLOCK_INSTALL_PKGLIBDIR "Airlock.app/Contents/lib/airlock")
  set(AIRLOCK_INSTALL_GUESTDIR "Airlock.app/Contents/share/airlock/guest")
else()
  set(AIRLOCK_INSTALL_BINDIR "bin")
  set(AIRLOCK_INSTALL_HELPERDIR "lib/airlock")
  set(AIRLOCK_INSTALL_PKGLIBDIR "lib/airlock")
  set(AIRLOCK_INSTALL_GUESTDIR "share/airlock/guest")
endif()

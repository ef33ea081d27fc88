# Compile options shared by every ledgertap target (not applied to third-party code).
set(LEDGERTAP_WARNINGS -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wno-sign-conversion)
if(LEDGERTAP_WERROR)
    list(APPEND LEDGERTAP_WARNINGS -Werror)
endif()

set(LEDGERTAP_SANITIZER_FLAGS "")
if(LEDGERTAP_SANITIZE)
    set(LEDGERTAP_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
        -fno-sanitize-recover=undefined)
elseif(LEDGERTAP_TSAN)
    set(LEDGERTAP_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
endif()
if(LEDGERTAP_SANITIZER_FLAGS)
    add_compile_options(${LEDGERTAP_SANITIZER_FLAGS})
    add_link_options(${LEDGERTAP_SANITIZER_FLAGS})
endif()

# ledgertap_target_defaults(<target>): warnings and root-relative includes.
function(ledgertap_target_defaults target)
    target_compile_options(${target} PRIVATE ${LEDGERTAP_WARNINGS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

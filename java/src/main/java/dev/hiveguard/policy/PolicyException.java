package dev.hiveguard.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy that cannot be used, with every located error found in it. */
public final class PolicyException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<PolicyError> errors;

    public PolicyException(List<PolicyError> errors) {
        super(errors.stream().map(PolicyError::toString).collect(Collectors.joining(System.lineSeparator())));
        this.errors = List.copyOf(errors);
    }

    public List<PolicyError> errors() {
        return errors;
    }
}
